// The provenance panel's page: a fixed shell with a strict Content-Security-Policy. Nothing
// from the provenance is put into this HTML; the data arrives by postMessage and the nonce'd
// script builds the DOM with createElement/textContent.
import { randomBytes } from 'node:crypto';

export interface PanelPage {
  /** The webview's own origin for resources (webview.cspSource). */
  cspSource: string;
  /** webview.asWebviewUri of media/provenance/panel.css and dist/webview/provenance.js. */
  styleUri: string;
  scriptUri: string;
  /** A fresh nonce per page (see newNonce). */
  nonce: string;
  /** The panel's title, for the document title only. */
  title: string;
}

/** 128 random bits, base64: a nonce nobody can guess (never Math.random). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** `default-src 'none'`: no remote anything, no inline style or script; only the one nonce'd script runs. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return `default-src 'none'; style-src ${cspSource}; script-src 'nonce-${nonce}'; img-src ${cspSource}`;
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function panelHtml(page: PanelPage): string {
  const csp = contentSecurityPolicy(page.cspSource, page.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(page.styleUri)}">
<title>${escapeAttr(page.title)}</title>
</head>
<body>
<main id="provenance" aria-live="polite" aria-busy="true"><p class="muted">Reading provenance…</p></main>
<script nonce="${escapeAttr(page.nonce)}" src="${escapeAttr(page.scriptUri)}"></script>
</body>
</html>`;
}

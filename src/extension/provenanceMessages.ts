// The messages between the provenance panel and its webview script (media/provenance/panel.js).
import type { ProvenanceView } from './provenanceView';

/** Extension → webview. */
export type ToWebview =
  | { type: 'view'; view: ProvenanceView }
  /** A check is running (a file changed, or the user asked). */
  | { type: 'busy'; message: string };

/** Webview → extension. Everything here is untrusted input: it is checked before use. */
export type FromWebview =
  /** The script is loaded and listening: send the current view. */
  | { type: 'ready' }
  /** The user activated a link; the extension asks before opening http(s) URLs and refuses the rest. */
  | { type: 'openLink'; url: string }
  | { type: 'chooseModel' }
  | { type: 'choosePublicKey' }
  /** Ask for the expected source repository and builder (slsa-verifier's --source-uri and --builder-id). */
  | { type: 'setPolicy' }
  | { type: 'refresh' };

/** The webview's message, if it is one of ours; anything else is dropped. */
export function parseWebviewMessage(message: unknown): FromWebview | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as { type?: unknown; url?: unknown };
  switch (m.type) {
    case 'ready':
    case 'chooseModel':
    case 'choosePublicKey':
    case 'setPolicy':
    case 'refresh':
      return { type: m.type };
    case 'openLink':
      return typeof m.url === 'string' ? { type: 'openLink', url: m.url } : undefined;
    default:
      return undefined;
  }
}

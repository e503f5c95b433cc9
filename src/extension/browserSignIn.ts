// Signing in with a browser from any editor. The browser may not run where the extension host listens
// (code-server, Remote-SSH, WSL, containers): VS Code's asExternalUri says where the browser reaches the
// loopback callback; when that is not a loopback http URL with the path intact (code-server's proxy drops
// it, and Sigstore's issuer takes only http://localhost redirects), the issuer's page shows a code to
// paste instead. Either way the sign-in link is shown with Copy, and Escape cancels.
import * as vscode from 'vscode';
import { CALLBACK_PATH, InteractiveLoginOptions, LoginMode, ModelSigningError, isLoopbackUrl } from '../core';
import { SafeText, safeText } from '../core/display';

export type SignInPrompt = Pick<InteractiveLoginOptions, 'exposeCallback' | 'openUrl' | 'readCode' | 'onDone'>;

const cancelled = () => new ModelSigningError('CANCELLED', 'The sign-in was cancelled', { reason: 'cancelled' });

/** The editor's side of a browser sign-in at `issuer`: where the browser comes back, the prompt, the log. */
export function signInPrompt(issuer: string, log: vscode.LogOutputChannel): SignInPrompt {
  const host = new URL(issuer).host;
  let waiting: Waiting | undefined;
  return {
    exposeCallback: async (loopback) => {
      const external = new URL((await vscode.env.asExternalUri(vscode.Uri.parse(loopback))).toString(true));
      const reachable = external.protocol === 'http:' && isLoopbackUrl(external) && external.pathname === CALLBACK_PATH;
      log.info(`Sign-in: the browser reaches ${loopback} as ${external.href}: ${reachable ? 'waiting for its redirect' : 'asking for the code instead'}`);
      return reachable ? external.href : undefined;
    },
    openUrl: async (url, mode) => {
      log.info(`Sign-in link (${mode === 'oob' ? 'the page shows a code to paste' : 'the browser comes back to VS Code'}): ${url}`);
      waiting = await showWaiting(url, mode, host);
      // Waiting for the redirect, this stays pending until the prompt is dismissed (core races it with the callback).
      if (mode === 'loopback') await waiting.dismissed.then(() => Promise.reject(cancelled()));
    },
    readCode: () => (waiting ? Promise.race([waiting.code, waiting.dismissed.then(() => Promise.reject(cancelled()))]) : Promise.reject(cancelled())),
    onDone: () => {
      waiting?.close();
      waiting = undefined;
    },
  };
}

interface Waiting {
  /** The code typed in (out-of-band). */
  code: Promise<string>;
  /** Resolves when the user dismissed the prompt (Escape) before the sign-in ended. */
  dismissed: Promise<void>;
  close(): void;
}

const OPEN = { iconPath: new vscode.ThemeIcon('link-external'), tooltip: 'Open the sign-in page in the browser' };
const COPY = { iconPath: new vscode.ThemeIcon('copy'), tooltip: 'Copy the sign-in link' };

/**
 * What the sign-in waits for, in the quick input: the link (with Open and Copy), and for the out-of-band
 * code a box to paste it. Opens the page at once when the editor can hand the link to the browser intact.
 */
async function showWaiting(url: string, mode: LoginMode, host: string): Promise<Waiting> {
  // code-server rewrites a loopback link it opens to its own /proxy/<port>/, dropping path and query.
  const link = vscode.Uri.parse(url);
  const external = await vscode.env.asExternalUri(link);
  const opensIntact = external.authority === link.authority && external.path === link.path;
  const box = vscode.window.createInputBox();
  box.ignoreFocusOut = true;
  box.buttons = opensIntact ? [OPEN, COPY] : [COPY];
  const where: SafeText = opensIntact ? safeText`Sign in at ${host} in the browser` : safeText`Open the sign-in link in a browser on this machine (copy it)`;
  if (mode === 'oob') {
    box.title = String(safeText`${where}, then paste the code the page shows`);
    box.placeholder = 'The code from the sign-in page';
  } else {
    box.title = String(safeText`${where}: waiting for the browser to return to VS Code (Escape cancels)`);
    box.placeholder = 'Nothing to type: the sign-in completes in the browser';
    box.busy = true;
  }
  box.prompt = String(safeText`Sign-in link: ${url}`);
  let done = false;
  let settleCode!: (code: string) => void;
  const code = new Promise<string>((resolve) => (settleCode = resolve));
  const dismissed = new Promise<void>((resolve) =>
    box.onDidHide(() => {
      if (!done) resolve();
    }),
  );
  box.onDidTriggerButton(async (b) => {
    if (b === COPY) {
      await vscode.env.clipboard.writeText(url);
      vscode.window.setStatusBarMessage('Sign-in link copied', 5000);
    } else {
      await vscode.env.openExternal(link);
    }
  });
  box.onDidAccept(() => {
    if (mode !== 'oob' || box.value.trim() === '') return;
    // The prompt stays, busy, while the code is exchanged; hiding it then is no cancel.
    done = true;
    box.busy = true;
    box.enabled = false;
    settleCode(box.value);
  });
  box.show();
  if (opensIntact) void vscode.env.openExternal(link);
  return {
    code,
    dismissed,
    close: () => {
      done = true;
      box.dispose();
    },
  };
}

// Whether "GitHub account" can sign in this editor, known before it is offered: VS Code's sign-in
// provider for the configured API must exist (code-server, for one, may have none that works), and
// the API must answer from where the extension runs (the built-in "github" provider needs
// api.github.com, which an offline machine does not reach). Neither check sends the account's token.
import * as vscode from 'vscode';
import { DEFAULT_GITHUB_API_BASE } from '../core';
import { safeText } from '../core/display';
import { SETTINGS } from './constants';
import { userSetting } from './trustedSettings';

export const GITHUB_SCOPES = ['user:email'];

/** The API a session's token goes to (the user's setting only, never a workspace's) and VS Code's provider for it. */
export function githubTarget(): { apiBase: string; provider: 'github' | 'github-enterprise'; host: string } {
  const apiBase = userSetting<string>(SETTINGS.githubApiUrl) || DEFAULT_GITHUB_API_BASE;
  // api.github.com: VS Code's "github" session; a GitHub Enterprise Server API: its "github-enterprise" one.
  const provider = apiBase.replace(/\/+$/, '') === DEFAULT_GITHUB_API_BASE ? 'github' : 'github-enterprise';
  return { apiBase, provider, host: new URL(apiBase).host };
}

export type GitHubAvailability = { usable: true; description: string } | { usable: false; description: string; why: string };

/** A missing provider makes VS Code wait 5 s for one to register; the API gets as long. */
const CHECK_TIMEOUT_MS = 6000;

export async function githubAvailability(): Promise<GitHubAvailability> {
  const { apiBase, provider, host } = githubTarget();
  const [session, reached] = await Promise.all([
    // silent: never a prompt; a session only when the user already let this extension use one.
    Promise.resolve(vscode.authentication.getSession(provider, GITHUB_SCOPES, { silent: true })).then(
      (s) => ({ registered: true, signedIn: s !== undefined }),
      () => ({ registered: false, signedIn: false }),
    ),
    // Any HTTP answer will do: only a network failure says the API is out of reach.
    fetch(apiBase, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) }).then(
      (r) => {
        void r.body?.cancel(); // the body is not needed: let the connection go
        return true;
      },
      () => false,
    ),
  ]);
  if (!session.registered) {
    const why = `this editor has no "${provider}" sign-in provider for ${host}: use another identity`;
    return { usable: false, why, description: String(safeText`$(warning) unavailable: ${why}`) };
  }
  if (!reached) {
    const why = `${host} cannot be reached from where the extension runs: set modelSigning.github.apiUrl (user settings) to a GitHub API it reaches, or use another identity`;
    return { usable: false, why, description: String(safeText`$(warning) unavailable: ${host} cannot be reached from here`) };
  }
  return {
    usable: true,
    description: String(safeText`${session.signedIn ? 'the account signed in to VS Code' : "VS Code's GitHub sign-in"} · ${host}`),
  };
}

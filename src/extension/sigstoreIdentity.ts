import * as vscode from 'vscode';
import {
  DEFAULT_GITHUB_API_BASE,
  GitHubSessionProvider,
  IdentityProvider,
  InteractiveLoginProvider,
  PRODUCTION_OIDC_ISSUER,
  SigningIdentityPreview,
  StaticTokenProvider,
  TrustConfig,
  oidcIssuerOf,
  resolveTrustConfig,
} from '../core';
import { safeText } from '../core/display';
import { SETTINGS } from './constants';
import { userSetting } from './trustedSettings';
import { notify } from './notify';
import { signInPrompt } from './browserSignIn';

export type IdentitySource = 'github' | 'browser' | 'token';

/** The trust config the user's settings name (never a workspace's), or the built-in production one. */
export async function trustConfigFromSettings(): Promise<TrustConfig> {
  const file = userSetting<string>(SETTINGS.trustConfig) || undefined;
  return (await resolveTrustConfig({ trustConfigPath: file })).config;
}

/** The identity sources a person has in the editor, GitHub's session first; the sign-in page is named. */
export async function chooseIdentitySource(trust: TrustConfig): Promise<IdentitySource | undefined> {
  const issuer = oidcIssuerOf(trust) ?? PRODUCTION_OIDC_ISSUER;
  const page =
    issuer === PRODUCTION_OIDC_ISSUER ? "Sigstore's sign-in page (Google, GitHub, Microsoft)" : String(safeText`the sign-in page at ${new URL(issuer).host}`);
  const pick = await vscode.window.showQuickPick(
    [
      { label: '$(github) GitHub account', description: 'the account signed in to VS Code', source: 'github' as const },
      { label: '$(globe) Sign in with a browser', description: page, source: 'browser' as const },
      { label: '$(key) Paste an identity token', description: 'an OIDC ID token (short-lived: paste a fresh one)', source: 'token' as const },
    ],
    { title: 'Sign with which identity?', ignoreFocusOut: true },
  );
  return pick?.source;
}

export async function identityProvider(
  source: IdentitySource,
  trust: TrustConfig,
  log: vscode.LogOutputChannel,
  token?: string,
): Promise<IdentityProvider | undefined> {
  const issuer = oidcIssuerOf(trust) ?? PRODUCTION_OIDC_ISSUER;
  switch (source) {
    case 'browser':
      return new InteractiveLoginProvider({ issuer, ...signInPrompt(issuer, log) });
    case 'token': {
      if (token) return new StaticTokenProvider(token, 'caller');
      const value = await vscode.window.showInputBox({ title: 'OIDC identity token', password: true, ignoreFocusOut: true });
      return value ? new StaticTokenProvider(value, 'pasted') : undefined;
    }
    case 'github': {
      // api.github.com: VS Code's "github" session; a GitHub Enterprise Server API: its "github-enterprise" one.
      // The session's token goes there: the user's setting only, never a workspace's.
      const apiBase = userSetting<string>(SETTINGS.githubApiUrl) || DEFAULT_GITHUB_API_BASE;
      const provider = apiBase.replace(/\/+$/, '') === DEFAULT_GITHUB_API_BASE ? 'github' : 'github-enterprise';
      const session = await vscode.authentication.getSession(provider, ['user:email'], { createIfNone: true });
      return new GitHubSessionProvider({
        session: { accessToken: session.accessToken, account: { label: session.account.label, id: session.account.id } },
        trustConfig: trust,
        apiBase,
        login: signInPrompt(issuer, log),
        confirm: confirmIdentity,
      });
    }
  }
}

/** Shows the account and the identity the certificate will carry before anything is signed. */
async function confirmIdentity(p: SigningIdentityPreview): Promise<boolean> {
  const who = p.identity ?? 'the identity you sign in with';
  const answer = await notify.info(
    safeText`Sign as ${who}?`,
    { modal: true, detail: safeText`GitHub account: ${p.account}\nCertificate identity: ${who}\nIssuer: ${p.issuer}\n\n${p.note}` },
    'Sign',
  );
  return answer === 'Sign';
}

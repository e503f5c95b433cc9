import * as vscode from 'vscode';
import {
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
import { GITHUB_SCOPES, githubAvailability, githubTarget } from './githubAccount';

export type IdentitySource = 'github' | 'browser' | 'token';

/** The trust config the user's settings name (never a workspace's), or the built-in production one. */
export async function trustConfigFromSettings(): Promise<TrustConfig> {
  const file = userSetting<string>(SETTINGS.trustConfig) || undefined;
  return (await resolveTrustConfig({ trustConfigPath: file })).config;
}

type SourceItem = vscode.QuickPickItem & { source: IdentitySource; why?: string };

/**
 * The identity sources a person has in the editor, GitHub's session first, each naming where it signs in. The pick
 * shows busy while the GitHub account is checked; one that cannot work here says why, and picking it says so again.
 */
export async function chooseIdentitySource(trust: TrustConfig): Promise<IdentitySource | undefined> {
  const issuer = oidcIssuerOf(trust) ?? PRODUCTION_OIDC_ISSUER;
  const host = new URL(issuer).host;
  const page =
    issuer === PRODUCTION_OIDC_ISSUER
      ? String(safeText`Sigstore's sign-in page at ${host} (Google, GitHub, Microsoft)`)
      : String(safeText`the sign-in page at ${host}`);
  const pick = vscode.window.createQuickPick<SourceItem>();
  pick.title = 'Sign with which identity?';
  pick.ignoreFocusOut = true;
  pick.busy = true;
  pick.placeholder = 'Checking the GitHub account…';
  const chosen = new Promise<SourceItem | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]));
    pick.onDidHide(() => resolve(undefined));
  });
  pick.show();
  const github = await githubAvailability();
  pick.items = [
    { label: '$(github) GitHub account', description: github.description, source: 'github', why: github.usable ? undefined : github.why },
    { label: '$(globe) Sign in with a browser', description: page, source: 'browser' },
    { label: '$(key) Paste an identity token', description: 'an OIDC ID token (short-lived: paste a fresh one)', source: 'token' },
  ];
  pick.busy = false;
  pick.placeholder = undefined;
  const item = await chosen;
  pick.dispose();
  if (item?.why) {
    void notify.warn(safeText`GitHub account cannot sign here: ${item.why}.`);
    return undefined;
  }
  return item?.source;
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
      const { apiBase, provider } = githubTarget();
      const session = await vscode.authentication.getSession(provider, GITHUB_SCOPES, { createIfNone: true });
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

// A 'github-enterprise' authentication provider for the end-to-end tests: VS Code's own sign-in
// flow (the "wants to sign in" prompt, the accounts menu) over a session of the GitHub API
// stand-in, so Sign Model's "GitHub account" identity source can be clicked through offline.
// Plain JavaScript, loaded as a second development extension; never part of the product.
const vscode = require('vscode');

exports.activate = (context) => {
  const changed = new vscode.EventEmitter();
  let sessions = [];
  const configured = () => vscode.workspace.getConfiguration('modelSigningTests').get('githubSession');
  context.subscriptions.push(
    changed,
    vscode.authentication.registerAuthenticationProvider('github-enterprise', 'GitHub Enterprise (test stand-in)', {
      onDidChangeSessions: changed.event,
      getSessions: async () => sessions,
      createSession: async (scopes) => {
        const s = configured();
        if (!s || !s.accessToken) throw new Error('modelSigningTests.githubSession is not set');
        const session = { id: 'stand-in', accessToken: s.accessToken, account: s.account, scopes: [...scopes] };
        sessions = [session];
        changed.fire({ added: [session], removed: [], changed: [] });
        return session;
      },
      removeSession: async () => {
        const removed = sessions;
        sessions = [];
        changed.fire({ added: [], removed, changed: [] });
      },
    }),
  );
};

// Runs the local Sigstore stand-ins (Fulcio, Rekor, TSA and an OIDC issuer with
// a login page, all on 127.0.0.1) until Ctrl-C, and writes the ClientTrustConfig
// that points at them:
//
//   node --import tsx test/sigstore/serve.ts [--trust-config OUT.json] [--oidc-issuer URL] [--print-token EMAIL]
//
// Then sign and verify with `--trust-config OUT.json`: `model-signing sign` with no
// token opens the stand-in's login page (any email signs in). --oidc-issuer names
// another issuer instead; --print-token prints a token for SIGSTORE_ID_TOKEN.
// Test-only: loads @sigstore/mock. Service times are pinned at start-up (see
// localSigstore.ts), so certificates stay valid for the log/TSA time however long it runs.
import * as path from 'node:path';
import { startLocalSigstore } from '../helpers/localSigstore';
import { OidcIssuer, startOidcIssuer } from '../helpers/oidcIssuer';

interface Args {
  trustConfig: string;
  oidcIssuerURL?: string;
  printTokenFor?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { trustConfig: path.resolve('local-sigstore-trust-config.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--trust-config') args.trustConfig = path.resolve(value());
    else if (a === '--oidc-issuer') args.oidcIssuerURL = value();
    else if (a === '--print-token') args.printTokenFor = value();
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node --import tsx test/sigstore/serve.ts [--trust-config OUT.json] [--oidc-issuer URL] [--print-token EMAIL]\n');
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));

  // The stand-in identity provider, unless another issuer is named: it appears in
  // the signing config's oidcUrls and is the default `iss` of minted tokens.
  const idp: OidcIssuer | undefined = args.oidcIssuerURL ? undefined : await startOidcIssuer();
  const oidcIssuerURL = args.oidcIssuerURL ?? idp!.issuer;

  const sigstore = await startLocalSigstore({ oidcIssuerURL });
  sigstore.writeTrustConfig(args.trustConfig);

  const lines = [
    'Local Sigstore running:',
    `  Fulcio       ${sigstore.fulcioURL}`,
    `  Rekor        ${sigstore.rekorURL}`,
    `  TSA          ${sigstore.tsaURL}`,
    `  OIDC issuer  ${oidcIssuerURL}${idp ? ' (sign in as dev@example.com)' : ''}`,
    `  time (t0)    ${sigstore.time.toISOString()}`,
    `Trust config:  ${args.trustConfig}`,
  ];
  if (args.printTokenFor) {
    const token = await sigstore.mintToken({ email: args.printTokenFor, exp: Math.floor(Date.now() / 1000) + 24 * 3600 });
    lines.push(`Token (24 h) for ${args.printTokenFor}:`, `SIGSTORE_ID_TOKEN=${token}`);
  }
  lines.push('Press Ctrl-C to stop.');
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping\n`);
    Promise.all([sigstore.stop(), idp?.stop()]).then(
      () => {
        process.exitCode = 0;
        // Everything is closed; exit even if a stray handle lingers.
        setTimeout(() => process.exit(0), 1000).unref();
      },
      (e: unknown) => {
        process.stderr.write(`stop failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

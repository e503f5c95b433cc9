// `npm start`: builds the CLI, then shows it working on a small sample model:
// key signing, keyless signing against a local Sigstore (Fulcio, Rekor, a
// timestamp authority and an OIDC issuer on 127.0.0.1), a changed file caught,
// and a signature made by the reference implementation verified offline.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalSigstore } from '../helpers/localSigstore';
import { startOidcIssuer } from '../helpers/oidcIssuer';

const cli = resolve(__dirname, '../../dist/cli.js');
const work = mkdtempSync(join(tmpdir(), 'model-signing-demo-'));
const shown = (s: string) =>
  s
    .split(work + '/')
    .join('')
    .replace(/(--identity-token )\S+/, '$1<token>');

function run(title: string, args: string[]): Promise<number> {
  process.stdout.write(`\n$ model-signing ${shown(args.join(' '))}   # ${title}\n`);
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => process.stdout.write(d));
    child.stderr.on('data', (d: Buffer) => process.stdout.write(d));
    child.on('close', (code) => {
      process.stdout.write(`(exit code ${code})\n`);
      done(code ?? -1);
    });
  });
}

async function main(): Promise<void> {
  const model = join(work, 'tiny-llm');
  mkdirSync(join(model, 'tokenizer'), { recursive: true });
  writeFileSync(join(model, 'config.json'), JSON.stringify({ architectures: ['TinyLlm'], hidden_size: 64 }, null, 2));
  writeFileSync(join(model, 'model.safetensors'), randomBytes(8 << 20));
  writeFileSync(join(model, 'tokenizer/vocab.txt'), 'hello\nworld\n');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(work, 'signing-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(work, 'signing-key.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  console.log(`Sample model in ${model}: config.json, model.safetensors (8 MiB), tokenizer/vocab.txt`);

  const results: boolean[] = [];
  const expect = async (want: number, title: string, args: string[]) => results.push((await run(title, args)) === want);

  await expect(0, 'root digest of the model', ['digest', model]);
  const keySig = join(work, 'model.key.sig');
  await expect(0, 'sign with an EC key', ['sign', 'key', model, '--signature', keySig, '--private-key', join(work, 'signing-key.pem')]);
  await expect(0, 'verify with the public key', ['verify', 'key', model, '--signature', keySig, '--public-key', join(work, 'signing-key.pub')]);

  // Keyless, against stand-ins of the Sigstore services; the identity token comes
  // from the stand-in OIDC issuer, as the browser login would bring it.
  const idp = await startOidcIssuer({ users: [{ email: 'dev@example.com' }] });
  const sigstore = await startLocalSigstore({ oidcIssuerURL: idp.issuer });
  try {
    const trust = join(work, 'local-sigstore.json');
    sigstore.writeTrustConfig(trust);
    console.log(`\nLocal Sigstore: Fulcio ${sigstore.fulcioURL}, Rekor ${sigstore.rekorURL}, TSA ${sigstore.tsaURL}, OIDC ${idp.issuer}`);
    const token = await idp.mintToken({ email: 'dev@example.com', email_verified: true });
    const sig = join(work, 'model.sig');
    await expect(0, 'sign keylessly (Sigstore)', ['sign', model, '--signature', sig, '--trust-config', trust, '--identity-token', token]);
    /** verify sigstore, expecting this identity from the local issuer. */
    const verifyAs = (identity: string) => [
      'verify',
      model,
      '--signature',
      sig,
      '--trust-config',
      trust,
      '--identity',
      identity,
      '--identity-provider',
      idp.issuer,
    ];
    await expect(0, 'verify: signed by dev@example.com?', verifyAs('dev@example.com'));
    await expect(1, 'verify: signed by dev@example.co? (exact match only)', verifyAs('dev@example.co'));
    appendFileSync(join(model, 'config.json'), ' ');
    await expect(1, 'verify again after changing config.json', verifyAs('dev@example.com'));
  } finally {
    await sigstore.stop();
    await idp.stop();
  }

  const vector = resolve(__dirname, '../../../shared/vectors/model-transparency/scripts/tests/v1.1.0-sigstore');
  if (existsSync(vector)) {
    await expect(0, "the reference's keyless signature, verified offline with the built-in trust root", [
      'verify',
      vector,
      '--signature',
      join(vector, 'model.sig'),
      '--identity',
      'stefanb@us.ibm.com',
      '--identity-provider',
      'https://sigstore.verify.ibm.com/oauth2',
    ]);
  }

  const ok = results.every(Boolean);
  console.log(`\n${ok ? 'Demo OK' : 'Demo FAILED'}: ${results.filter(Boolean).length}/${results.length} steps as expected. Files are in ${work}`);
  process.exitCode = ok ? 0 : 1;
}

void main();

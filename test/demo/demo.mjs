// `npm start`: builds the CLI, then signs and verifies a small sample model with
// it, shows that a changed file is caught, and prints what happened.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');
const work = mkdtempSync(join(tmpdir(), 'model-signing-demo-'));
const model = join(work, 'tiny-llm');
mkdirSync(join(model, 'tokenizer'), { recursive: true });
writeFileSync(join(model, 'config.json'), JSON.stringify({ architectures: ['TinyLlm'], hidden_size: 64 }, null, 2));
writeFileSync(join(model, 'model.safetensors'), randomBytes(8 << 20));
writeFileSync(join(model, 'tokenizer/vocab.txt'), 'hello\nworld\n');

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
writeFileSync(join(work, 'signing-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(join(work, 'signing-key.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
const sig = join(work, 'model.sig');

function run(title, args) {
  console.log(`\n$ model-signing ${args.join(' ').replaceAll(work + '/', '')}   # ${title}`);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  process.stdout.write(r.stdout);
  process.stdout.write(r.stderr);
  console.log(`(exit code ${r.status})`);
  return r.status;
}

console.log(`Sample model in ${model}: config.json, model.safetensors (8 MiB), tokenizer/vocab.txt`);
run('root digest of the model', ['digest', model]);
const signed = run('sign with an EC key', ['sign', 'key', model, '--signature', sig, '--private-key', join(work, 'signing-key.pem')]);
const verified = run('verify with the public key', ['verify', 'key', model, '--signature', sig, '--public-key', join(work, 'signing-key.pub')]);
appendFileSync(join(model, 'config.json'), ' ');
const tampered = run('verify again after changing config.json', ['verify', 'key', model, '--signature', sig, '--public-key', join(work, 'signing-key.pub')]);

const ok = signed === 0 && verified === 0 && tampered === 1;
console.log(`\n${ok ? 'Demo OK' : 'Demo FAILED'}: signed, verified, and the changed file was caught. Files are in ${work}`);
process.exit(ok ? 0 : 1);

// A real software token for the PKCS #11 tests: SoftHSM2 (Debian's softhsm2) in a temp folder of its own,
// with keys made on the token by OpenSC's pkcs11-tool. `.ci/run` installs both; without them the tests skip.
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where Debian's softhsm2 puts its module (also /usr/lib/x86_64-linux-gnu/softhsm/). */
export const SOFTHSM_MODULE = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so', '/opt/homebrew/lib/softhsm/libsofthsm2.so'].find(
  (m) => fs.existsSync(m),
);

/** Why the PKCS #11 tests cannot run here, for `skip`; false when they can. */
export const NO_SOFTHSM: string | false =
  SOFTHSM_MODULE && hasCommand('pkcs11-tool') ? false : 'SoftHSM2 and OpenSC are not installed (apt-get install softhsm2 opensc)';

function hasCommand(name: string): boolean {
  try {
    execFileSync(name, ['--help'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export type TokenKeyType = 'EC:prime256v1' | 'EC:secp384r1' | 'EC:secp521r1' | 'rsa:2048';

export interface SoftHsm {
  module: string;
  /** SOFTHSM2_CONF for anything that loads the module: this process has it set already. */
  env: { SOFTHSM2_CONF: string };
  token: string;
  pin: string;
  /** The folder of the token's files and the config. */
  dir: string;
  /** Makes a key pair on the token; returns its public key as a PEM file (EC keys; '' for RSA). */
  makeKey(label: string, type: TokenKeyType, id: string): string;
  /** A URI for a key of the token: `pkcs11:token=…;object=…?module-path=…` plus `query` (`pin-value=…`). */
  uri(object: string, query?: string): string;
}

/**
 * A fresh SoftHSM2 token in `dir` (an empty folder; the config is `dir/softhsm2.conf`). SOFTHSM2_CONF is set
 * in this process, so in-process CLI runs, the core and an extension host load this token; pass `env` to
 * child processes. (The unit tests, the extension host's suite and the click-through each make their own.)
 */
export function softHsm(dir: string, token = 'model-signing-test', pin = '4711-pin'): SoftHsm {
  const module = SOFTHSM_MODULE!;
  fs.mkdirSync(path.join(dir, 'tokens'), { recursive: true });
  const conf = path.join(dir, 'softhsm2.conf');
  fs.writeFileSync(conf, `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { SOFTHSM2_CONF: conf };
  process.env.SOFTHSM2_CONF = conf;
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  run('softhsm2-util', ['--init-token', '--free', '--label', token, '--so-pin', 'so-pin-1234', '--pin', pin]);
  return {
    module,
    env,
    token,
    pin,
    dir,
    makeKey(label, type, id) {
      const tool = ['--module', module, '--token-label', token, '--login', '--pin', pin];
      run('pkcs11-tool', [...tool, '--keypairgen', '--key-type', type, '--label', label, '--id', id]);
      if (type.startsWith('rsa')) return '';
      // The public key as pkcs11-tool lists it (its --read-object fails on P-384 keys in OpenSC 0.23), to a PEM
      // by node:crypto from the point's coordinates: an independent check of how the signer reads the token.
      const listing = run('pkcs11-tool', [...tool, '--list-objects', '--type', 'pubkey']).toString();
      const entry = listing.split(/^(?=Public Key Object)/m).find((o) => new RegExp(`^\\s+label:\\s+${label}$`, 'm').test(o))!;
      const point = Buffer.from(/EC_POINT:\s+([0-9a-f]+)/.exec(entry)![1]!, 'hex');
      // A DER OCTET STRING (tag, length in one or 0x81 + one byte) around 04 || x || y.
      const xy = point.subarray((point[1]! & 0x80 ? 2 + (point[1]! & 0x7f) : 2) + 1);
      const half = xy.length / 2;
      const crv = ({ 'EC:prime256v1': 'P-256', 'EC:secp384r1': 'P-384', 'EC:secp521r1': 'P-521' } as Record<string, string>)[type];
      const jwk = { kty: 'EC', crv, x: xy.subarray(0, half).toString('base64url'), y: xy.subarray(half).toString('base64url') };
      const pem = path.join(dir, `${label}.pub`);
      fs.writeFileSync(pem, crypto.createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }));
      return pem;
    },
    uri: (object, query) => `pkcs11:token=${token};object=${object}?module-path=${module}${query ? `&${query}` : ''}`,
  };
}

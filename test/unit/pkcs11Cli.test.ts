// `sign pkcs11-key` and `sign pkcs11-certificate` against a real SoftHSM2 token, keys made on it by
// pkcs11-tool: round trips through `verify key` / `verify certificate`, and each mistake one line, exit 1.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { Bundle } from '../../src/core';
import { publicKeyHint, loadPublicKey } from '../../src/core/signing/keys';
import { CLI, REPO, runCli, sampleModel, tempDir } from '../helpers/fixtures';
import { startLocalSigstoreWithTrustFile } from '../helpers/localSigstore';
import { makePki } from '../helpers/pki';
import { NO_SOFTHSM, SoftHsm, softHsm } from '../helpers/softHsm';

describe('PKCS #11 signing (SoftHSM2)', { skip: NO_SOFTHSM }, () => {
  let hsm: SoftHsm;
  const pub: Record<string, string> = {};
  before(() => {
    hsm = softHsm(tempDir('ms-softhsm-'));
    pub.p256 = hsm.makeKey('p256', 'EC:prime256v1', '01');
    pub.p384 = hsm.makeKey('p384', 'EC:secp384r1', '02');
    pub.p521 = hsm.makeKey('p521', 'EC:secp521r1', '03');
    hsm.makeKey('rsa', 'rsa:2048', '04');
  });

  /** Every line the CLI wrote must keep the PIN to itself. */
  function noPin(r: { stdout: string; stderr: string }): void {
    assert.ok(!`${r.stdout}${r.stderr}`.includes(hsm.pin), 'the PIN appears in the output');
  }

  it('signs with P-256, P-384 and P-521 keys on the token; verify key checks the bundle with the public key pkcs11-tool exported', async () => {
    for (const [label, hash] of [
      ['p256', 'sha256'],
      ['p384', 'sha384'],
      ['p521', 'sha512'],
    ] as const) {
      const model = sampleModel();
      const sig = `${model}.${label}.sig`;
      const signed = await runCli(['sign', 'pkcs11-key', model, '--pkcs11-uri', hsm.uri(label, `pin-value=${hsm.pin}`), '--signature', sig]);
      assert.equal(signed.code, 0, signed.stderr);
      assert.equal(signed.stdout, 'Signing succeeded\n');
      noPin(signed);
      const bundle = JSON.parse(fs.readFileSync(sig, 'utf8')) as Bundle;
      // An ordinary key bundle: the hint of the token's public key, no log entries.
      assert.deepEqual(bundle.verificationMaterial, { publicKey: { hint: publicKeyHint(loadPublicKey(fs.readFileSync(pub[label]!))) }, tlogEntries: [] });
      const verified = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', pub[label]!, '--json']);
      assert.equal(verified.code, 0, verified.stderr);
      assert.equal((JSON.parse(verified.stdout) as { verified: boolean }).verified, true, `${label} (${hash})`);
      fs.appendFileSync(path.join(model, 'f0'), 'changed');
      assert.equal((await runCli(['verify', 'key', model, '--signature', sig, '--public-key', pub[label]!])).code, 1);
    }
  });

  it('sign pkcs11-key --tsa-url: a timestamp from the local timestamp authority, which verify key reports', async () => {
    const { sigstore, trustConfigPath } = await startLocalSigstoreWithTrustFile();
    try {
      const model = sampleModel();
      const sig = `${model}.sig`;
      const args = ['sign', 'pkcs11-key', model, '--pkcs11-uri', hsm.uri('p256', `pin-value=${hsm.pin}`), '--signature', sig];
      const signed = await runCli([...args, '--tsa-url', sigstore.tsaURL]);
      assert.equal(signed.code, 0, signed.stderr);
      const verified = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', pub.p256!, '--trust-config', trustConfigPath, '--json']);
      assert.equal(verified.code, 0, verified.stderr);
      assert.equal((JSON.parse(verified.stdout) as { validatedAt?: { source: string } }).validatedAt?.source, 'rfc3161-timestamp');
    } finally {
      await sigstore.stop();
    }
  });

  it('the reference spellings: --pkcs11_uri, the key by id, the PIN from pin-source; dist/cli.js as a user runs it', async () => {
    const model = sampleModel();
    const pinFile = path.join(hsm.dir, 'pin.txt');
    fs.writeFileSync(pinFile, `${hsm.pin}\n`);
    const uri = `pkcs11:token=${hsm.token};id=%02?module-path=${hsm.module}&pin-source=file:${pinFile}`;
    const r = await runCli(['sign', 'pkcs11-key', model, '--pkcs11_uri', uri, '--signature', `${model}.sig`], { spawn: true, env: hsm.env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await runCli(['verify', 'key', model, '--signature', `${model}.sig`, '--public_key', pub.p384!])).code, 0);
    assert.match(
      (await runCli(['sign', 'pkcs11-certificate', '--help'])).stdout,
      /--pkcs11-uri PKCS11_URI[\s\S]*--signing-certificate PATH[\s\S]*--certificate-chain PATH/,
    );
    assert.match((await runCli(['--help'])).stdout, /sign\s+Sign a model \(methods: .*pkcs11-key, pkcs11-certificate\)/);
  });

  it('signs with the token key and its certificate chain; verify certificate checks it; a certificate for another key is refused', async () => {
    const pki = await makePki({ leafPublicKeyPem: fs.readFileSync(pub.p256!, 'utf8') });
    const model = sampleModel();
    const sig = `${model}.sig`;
    const args = ['sign', 'pkcs11-certificate', model, '--signature', sig, '--pkcs11-uri', hsm.uri('p256', `pin-value=${hsm.pin}`)];
    const signed = await runCli([...args, '--signing-certificate', pki.files.leaf, '--certificate-chain', pki.files.intermediate]);
    assert.equal(signed.code, 0, signed.stderr);
    const bundle = JSON.parse(fs.readFileSync(sig, 'utf8')) as Bundle;
    assert.equal(bundle.verificationMaterial.x509CertificateChain?.certificates.length, 2);
    const verified = await runCli(['verify', 'certificate', model, '--signature', sig, '--certificate-chain', pki.files.root]);
    assert.equal(verified.code, 0, verified.stderr);
    const other = await makePki();
    const mismatch = await runCli([...args, '--signing-certificate', other.files.leaf]);
    assert.equal(mismatch.code, 1);
    assert.equal(mismatch.stderr, 'Signing failed with error: The public key from the certificate does not match the public key paired with the private key\n');
  });

  it('each mistake is one line and exit 1, before the model is hashed: a wrong PIN, no such key, an RSA key, no such module, no such token, no PIN', async () => {
    const model = sampleModel();
    const sign = (uri: string) => runCli(['sign', 'pkcs11-key', model, '--pkcs11-uri', uri, '--signature', `${model}.sig`]);
    const cases: [string, string][] = [
      [hsm.uri('p256', 'pin-value=not-the-pin'), `The token '${hsm.token}' refused the PIN: it is not the user PIN`],
      [hsm.uri('missing', `pin-value=${hsm.pin}`), `Could not find a private key with label 'missing' on the token '${hsm.token}'`],
      [hsm.uri('rsa', `pin-value=${hsm.pin}`), 'Only elliptic curve keys are supported, got rsa'],
      [
        `pkcs11:token=${hsm.token};object=p256?module-path=/nonexistent/libpkcs11.so&pin-value=${hsm.pin}`,
        "The PKCS #11 module '/nonexistent/libpkcs11.so' does not exist",
      ],
      [`pkcs11:token=other;object=p256?module-path=${hsm.module}&pin-value=${hsm.pin}`, "Could not find a token with label 'other' in any slot"],
      [`pkcs11:slot-id=7;object=p256?module-path=${hsm.module}&pin-value=${hsm.pin}`, 'There is no token in slot 7 of the PKCS #11 module'],
      [`pkcs11:object=p256?module-path=${hsm.module}&pin-value=${hsm.pin}`, 'Invalid PKCS #11 URI: it names no token: add token=LABEL or slot-id=N'],
      [`pkcs11:token=${hsm.token}?module-path=${hsm.module}&pin-value=${hsm.pin}`, 'Invalid PKCS #11 URI: it names no key: add object=LABEL or id=%XX…'],
      [hsm.uri('p256'), `The token '${hsm.token}' needs its user PIN: add pin-value or pin-source to the URI`],
      ['pkcs11:token=t;slot-id=x', "Invalid PKCS #11 URI: slot-id must be a number below 2^32: 'x'"],
    ];
    for (const [uri, message] of cases) {
      const r = await sign(uri);
      assert.equal(r.code, 1, uri);
      assert.equal(r.stderr, `Signing failed with error: ${message}\n`, uri);
      noPin(r);
      assert.ok(!fs.existsSync(`${model}.sig`), 'nothing is written');
    }
  });

  it('asks for the PIN on a terminal, without echo, when the URI gives none', async () => {
    const model = sampleModel();
    // `script` gives the CLI a terminal; the PIN is typed once the prompt shows.
    const command = [process.execPath, CLI, 'sign', 'pkcs11-key', model, '--pkcs11-uri', hsm.uri('p256'), '--signature', `${model}.sig`]
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
      .join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: REPO, env: { ...process.env, ...hsm.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (!typed && output.includes('Enter the user PIN')) {
        typed = true;
        child.stdin.write(`${hsm.pin}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`Enter the user PIN of the PKCS #11 token '${hsm.token}': \\r?\\n[\\s\\S]*Signing succeeded`));
    noPin({ stdout: output, stderr: '' });
    assert.equal((await runCli(['verify', 'key', model, '--signature', `${model}.sig`, '--public-key', pub.p256!])).code, 0);
  });
});

/// <reference types="mocha" />
// Trusted timestamps in the real extension host: with a timestamp authority in the user's settings, Sign Model
// with a certificate adds an RFC 3161 timestamp from it, and Verify Model says when the model was signed and by
// whose clock. The runner's local Sigstore (named by the trust config setting) is the timestamp authority.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VerificationResult } from '../../src/core/verifying/verifyModel';
import { INTEGRATION_SCRATCH } from './marker';
import { extensionApi } from './extensionApi';
import { readSignature } from './signature';

const scratch = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '..', INTEGRATION_SCRATCH);
fs.mkdirSync(scratch, { recursive: true });
const tmp = fs.mkdtempSync(path.join(scratch, 'timestamps-'));

/** A self-signed signing certificate and its key (listed as its own root, as `openssl verify` trusts it). */
function selfSignedSigner(): { key: string; cert: string } {
  const key = path.join(tmp, 'signer-key.pem');
  const cert = path.join(tmp, 'signer.pem');
  execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    '/CN=timestamped-signer',
    '-days',
    '1',
    '-addext',
    'keyUsage=critical,digitalSignature',
  ]);
  return { key, cert };
}

/** The Signed Model view's rows for the model, as `label | description`. */
async function viewRows(model: string): Promise<string[]> {
  const api = await extensionApi();
  api.states.focus(model);
  const labelOf = (i: vscode.TreeItem) => (typeof i.label === 'object' ? i.label.label : (i.label ?? ''));
  return (await api.manifestItems()).map((i) => `${labelOf(i)}${typeof i.description === 'string' ? ` | ${i.description}` : ''}`);
}

suite('Trusted timestamps', () => {
  test('Sign Model with a certificate adds a timestamp from the configured authority; Verify Model tells when it was signed', async function () {
    this.timeout(120_000);
    const config = vscode.workspace.getConfiguration('modelSigning');
    const trustFile = config.get<string>('sigstore.trustConfig');
    if (!trustFile) this.skip(); // the test-electron runner has no local Sigstore
    const trust = JSON.parse(fs.readFileSync(trustFile, 'utf8')) as { signingConfig: { tsaUrls: Array<{ url: string }> } };
    await config.update('timestampAuthority.url', trust.signingConfig.tsaUrls[0]!.url, vscode.ConfigurationTarget.Global);
    try {
      const { key, cert } = selfSignedSigner();
      const model = path.join(tmp, 'timestamped-model');
      fs.mkdirSync(model, { recursive: true });
      fs.writeFileSync(path.join(model, 'weights.bin'), crypto.randomBytes(64 << 10));
      const uri = vscode.Uri.file(model);
      const sign = (timestamp: boolean) =>
        vscode.commands.executeCommand<boolean>('modelSigning.signModel', uri, {
          method: 'certificate',
          privateKey: key,
          signingCertificate: cert,
          certificateChain: [],
          timestamp,
          skipConfirmation: true,
          overwrite: true,
        });

      assert.equal(await sign(true), true);
      assert.equal(readSignature(model).verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length, 1);
      const stamped = await vscode.commands.executeCommand<VerificationResult>('modelSigning.verifyModel', uri, { certificateRoots: [cert] });
      assert.equal(stamped?.ok, true);
      assert.equal(stamped.signingTime?.source, 'rfc3161-timestamp');
      assert.equal(stamped.signingTime.source === 'rfc3161-timestamp' && stamped.signingTime.tsa, 'CN=tsa signing, O=sigstore.mock');
      const rows = await viewRows(model);
      assert.ok(
        rows.some((r) => /^Signed at .+ \(RFC 3161 timestamp from CN=tsa signing, O=sigstore\.mock\) \| Certificates checked at \S+Z$/.test(r)),
        rows.join('\n'),
      );

      // Declined: the signature has none, and its signing time is not proven.
      assert.equal(await sign(false), true);
      assert.equal(readSignature(model).verificationMaterial.timestampVerificationData, undefined);
      const plain = await vscode.commands.executeCommand<VerificationResult>('modelSigning.verifyModel', uri, { certificateRoots: [cert] });
      assert.equal(plain?.ok, true);
      assert.deepEqual(plain.signingTime && { source: plain.signingTime.source }, { source: 'current-time' });
      const plainRows = await viewRows(model);
      assert.ok(plainRows.includes('Signing time: not proven | the signature has no timestamp: checked at the current time'), plainRows.join('\n'));
    } finally {
      await config.update('timestampAuthority.url', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});

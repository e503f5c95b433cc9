// How a signer and its trust are worded for the badge and the Signed Model view, and the policy's
// refusal of a signature of a kind it names nobody for (the same reason for Verify Model and the live badge).
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignerInfo, parsePolicy, policyRefusesMethod } from '../../src/core';
import { checkedText, notPinnedText, signerLines, signerText, signingTimeText, uncheckedText } from '../../src/extension/trustWording';

const keyless: SignerInfo = { method: 'sigstore', identity: 'dev@example.com', issuer: 'https://oauth2.sigstore.dev/auth' };
const key: SignerInfo = { method: 'key', keyHint: '0123456789abcdef'.repeat(4) };
const cert: SignerInfo = { method: 'certificate', subject: 'CN=Alice', issuer: 'CN=Team CA', fingerprint: 'AB:CD', notBefore: '', notAfter: '' };

describe('trust wording', () => {
  it('says a signature the check on open had nothing to check with is signed and not checked yet, by its kind', () => {
    assert.equal(uncheckedText('key'), 'Signed with a key — not checked');
    assert.equal(uncheckedText('certificate'), 'Signed with a certificate — not checked');
  });

  it('a signer nothing pins reads "Signed by <identity> (<issuer>) — not pinned"; a key one the user chose, "Signed with key …"', () => {
    assert.equal(notPinnedText(keyless), 'Signed by dev@example.com (https://oauth2.sigstore.dev/auth) — not pinned');
    assert.equal(notPinnedText(key), 'Signed with key 0123456789ab… — not pinned');
    assert.equal(notPinnedText(cert), 'Signed by CN=Alice (issued by CN=Team CA) — not pinned');
    assert.equal(signerText(keyless), 'dev@example.com (https://oauth2.sigstore.dev/auth)');
  });

  it('the signer is text, one fact a line (a long issuer wraps on its own line), never JSON', () => {
    const long: SignerInfo = { ...keyless, issuer: `https://issuer.example.com/${'realms/very-long-tenant-name/'.repeat(4)}` };
    assert.deepEqual(signerLines(long), ['Signed by dev@example.com', `Issuer: ${long.issuer}`]);
    assert.deepEqual(signerLines(key), [`Signed with the key ${key.keyHint}`]);
    assert.deepEqual(signerLines(cert), ['Signed by CN=Alice', 'Issued by CN=Team CA', 'Certificate SHA-256 AB:CD']);
    for (const s of [keyless, key, cert]) for (const line of signerLines(s)) assert.doesNotMatch(line, /[{}"]/);
  });

  it('says when the model was checked', () => {
    const at = new Date(2026, 11, 7, 23, 4, 5);
    assert.equal(checkedText(at), `Checked at ${at.toLocaleTimeString()}`);
  });

  it('says when a key or certificate signature was made and how that is known, or that it is not proven', () => {
    const time = '2026-12-08T01:02:03.000Z';
    assert.deepEqual(signingTimeText({ source: 'rfc3161-timestamp', time, tsa: 'CN=tsa, O=Example' }), {
      label: `Signed at ${new Date(time).toLocaleString()} (RFC 3161 timestamp from CN=tsa, O=Example)`,
      detail: `Certificates checked at ${time}`,
    });
    assert.deepEqual(signingTimeText({ source: 'current-time', time, reason: 'the signature has no timestamp' }), {
      label: 'Signing time: not proven',
      detail: 'the signature has no timestamp: checked at the current time',
    });
  });
});

describe('a policy that names nobody of a signature kind', () => {
  const entry = parsePolicy(
    { models: [{ path: 'm', sigstore: [{ identity: 'dev@example.com', issuer: 'https://i' }] }] },
    { workspaceRoot: '/ws', source: 'p.json' },
  ).models[0]!;

  it('refuses a key signature before any key is asked for, saying what it accepts', () => {
    assert.deepEqual(policyRefusesMethod(entry, 'key'), {
      ok: false,
      reason: "Signed with a key, but the policy for 'm' (p.json) accepts only signatures made with Sigstore identities",
    });
    assert.equal(policyRefusesMethod(entry, 'sigstore'), undefined, 'a keyless signature is checked against the identities');
  });
});

// How the badge and the Signed Model view word who signed a model and how far it is trusted. Pure (no
// VS Code), so the wording is tested without an editor; the callers escape it.
import type { SignerInfo, SigningTime } from '../core';

/** Who signed, in words: `dev@example.com (https://issuer)`, `key 0123456789ab…`, `CN=Alice (issued by CN=CA)`. */
export function signerText(signer: SignerInfo): string {
  switch (signer.method) {
    case 'sigstore':
      return `${signer.identity} (${signer.issuer})`;
    case 'key':
      return `key ${signer.keyHint.slice(0, 12)}…`;
    case 'certificate':
      return `${signer.subject} (issued by ${signer.issuer})`;
  }
}

/**
 * A good signature that no policy the user set names: says who signed, and that nothing pins them. A key
 * is one the user chose at the prompt just now, not one they said to trust for this model.
 */
export function notPinnedText(signer: SignerInfo): string {
  return `${signer.method === 'key' ? 'Signed with' : 'Signed by'} ${signerText(signer)} — not pinned`;
}

/** Who signed, one fact per line, so a long issuer wraps in a tooltip instead of stretching one line. */
export function signerLines(signer: SignerInfo): string[] {
  switch (signer.method) {
    case 'sigstore':
      return [`Signed by ${signer.identity}`, `Issuer: ${signer.issuer}`];
    case 'key':
      return [`Signed with the key ${signer.keyHint}`];
    case 'certificate':
      return [`Signed by ${signer.subject}`, `Issued by ${signer.issuer}`, `Certificate SHA-256 ${signer.fingerprint}`];
  }
}

/** When a model was checked, as the user's clock reads it. */
export function checkedText(at: Date): string {
  return `Checked at ${at.toLocaleTimeString()}`;
}

/** A signature the live check was given nothing to check with: `Signed with a key — not checked`. */
export function uncheckedText(method: string): string {
  return `Signed with a ${method} — not checked`;
}

/**
 * When a key or certificate signature was made, and how that is known: "Signed at … (RFC 3161 timestamp from
 * <TSA>)", or "Signing time: not proven" with why, the certificate having been checked at the current time.
 */
export function signingTimeText(time: SigningTime): { label: string; detail: string } {
  if (time.source === 'rfc3161-timestamp') {
    return { label: `Signed at ${new Date(time.time).toLocaleString()} (RFC 3161 timestamp from ${time.tsa})`, detail: `Certificates checked at ${time.time}` };
  }
  return { label: 'Signing time: not proven', detail: `${time.reason}: checked at the current time` };
}

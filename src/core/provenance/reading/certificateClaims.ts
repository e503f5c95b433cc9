// The signer's claims in a Fulcio certificate are read by the keyless method's reader (sigstore/fulcioClaims.ts).
import { CertificateClaims } from '../types';
import { GITHUB_ACTIONS_ISSUER } from '../../sigstore/fulcioClaims';

export { GITHUB_ACTIONS_ISSUER, pemToDer, readCertificateClaims } from '../../sigstore/fulcioClaims';

/** `https://github.com/org/repo/.github/workflows/x.yml@refs/tags/v1` → name and ref, split at the last '@'. */
export function splitWorkflowUri(uri: string): { name: string; ref: string } {
  const at = uri.lastIndexOf('@');
  return at < 0 ? { name: uri, ref: '' } : { name: uri.slice(0, at), ref: uri.slice(at + 1) };
}

/** Whether a certificate is a GitHub Actions workload identity (a workflow URI issued for the Actions OIDC issuer). */
export function isGitHubWorkflowCertificate(c: CertificateClaims | undefined): boolean {
  return !!c && c.issuer === GITHUB_ACTIONS_ISSUER && c.subjectAlternativeName.startsWith('https://github.com/');
}

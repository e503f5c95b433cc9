import * as crypto from 'node:crypto';
import type * as pkijs from 'pkijs';
import { FormatError, VerificationError } from '../errors';

/**
 * Critical extensions a path may carry: those PKI.js enforces (basic
 * constraints, key usage, name constraints, policies) or we check ourselves
 * (extended key usage on the leaf), and names. It is OpenSSL's list less
 * Netscape cert type, proxy certificates and RFC 3779 resources, which
 * neither library enforces here, so a critical one of those is refused.
 */
const HANDLED_CRITICAL = new Set([
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.19', // basicConstraints
  '2.5.29.30', // nameConstraints
  '2.5.29.32', // certificatePolicies
  '2.5.29.33', // policyMappings
  '2.5.29.36', // policyConstraints
  '2.5.29.37', // extKeyUsage
  '2.5.29.54', // inhibitAnyPolicy
]);
const BASIC_CONSTRAINTS_OID = '2.5.29.19';
const NAME_CONSTRAINTS_OID = '2.5.29.30';

/**
 * PKI.js explores every candidate path with no memory of where it has been, so
 * two CAs in a bundle that issue each other send it round for ever. Real paths
 * take a handful of look-ups (one per certificate, more with cross-signing).
 */
export const MAX_ISSUER_LOOKUPS = 64;

/** Thrown from the issuer search when its budget is spent. */
class LookupBudgetSpent extends Error {}

const invalid = (reason: string, cause?: unknown, data: Record<string, unknown> = {}) =>
  new VerificationError('CERTIFICATE_CHAIN_INVALID', `The signing certificate does not chain to a trusted root: ${reason}`, { reason, ...data }, cause);

/**
 * Validates leaf → untrusted certificates → a trusted root as
 * `openssl verify -CAfile ROOTS -untrusted CHAIN LEAF` does (no partial
 * chains, default purpose), at `at`. Returns the validated path, leaf first.
 *
 * PKI.js does the RFC 5280 work: path building, signatures, validity, CA basic
 * constraints and keyCertSign, policies and name constraints. Layered on its
 * validated path, because PKI.js lacks them: only self-signed roots are trust
 * anchors (OpenSSL's default; a trusted intermediate is not enough), issuers
 * among the roots are preferred (OpenSSL's trusted-first), the anchor's own name
 * constraints apply, pathLenConstraint, and no unhandled critical extension on
 * any certificate of the path. A self-signed leaf listed among the roots is
 * trusted as it is, as OpenSSL trusts it.
 */
export async function validateCertificatePath(leaf: Buffer, untrusted: readonly Buffer[], roots: readonly Buffer[], at: Date): Promise<Buffer[]> {
  const anchors = roots.filter(isSelfSigned);
  if (anchors.length === 0) {
    throw invalid(
      roots.length === 0
        ? 'no trust anchors given: pass the root certificate with --certificate-chain'
        : 'no self-signed root among the trust anchors (a chain that stops at an intermediate, a partial chain, is not accepted): give the root CA certificate',
    );
  }
  // Loaded on first use: PKI.js takes ~40 ms to load, which every other command would pay.
  const pki = await import('pkijs');
  const parse = (der: Buffer): pkijs.Certificate => {
    try {
      return pki.Certificate.fromBER(new Uint8Array(der));
    } catch (e) {
      throw new FormatError('CERTIFICATE_INVALID', 'Cannot parse a certificate of the chain', {}, e);
    }
  };
  let path: pkijs.Certificate[];
  if (anchors.some((a) => a.equals(leaf))) {
    path = [parse(leaf)];
    checkValidity(path[0]!, at);
  } else {
    // Roots that are not self-signed may still serve as intermediates, untrusted.
    const others = roots.filter((r) => !anchors.includes(r));
    path = await pkijsPath(pki, parse(leaf), [...untrusted, ...others].map(parse), anchors.map(parse), at);
  }
  if (!path[0] || !Buffer.from(path[0].toSchema().toBER()).equals(leaf)) {
    throw invalid('the validated path does not start at the signing certificate');
  }
  path.forEach(checkCriticalExtensions);
  checkPathLength(path);
  return path.map((c) => Buffer.from(c.toSchema().toBER()));
}

async function pkijsPath(
  pki: typeof pkijs,
  leaf: pkijs.Certificate,
  untrusted: pkijs.Certificate[],
  anchors: pkijs.Certificate[],
  at: Date,
): Promise<pkijs.Certificate[]> {
  const lookups = { count: 0 };
  const run = async (trustedCerts: pkijs.Certificate[], params: pkijs.CertificateChainValidationEngineVerifyParams = {}) => {
    const engine = new pki.CertificateChainValidationEngine({
      trustedCerts,
      // PKI.js takes the LAST certificate as the end entity to validate.
      certs: [...untrusted, leaf],
      checkDate: at,
      findIssuer: trustedFirst(pki, lookups),
    });
    let result: pkijs.CertificateChainValidationEngineVerifyResult;
    try {
      result = await engine.verify(params);
    } catch (e) {
      throw invalid((e as { resultMessage?: string }).resultMessage ?? (e instanceof Error ? e.message : String(e)), e);
    }
    if (result.error instanceof LookupBudgetSpent) {
      throw invalid(`path building stopped after ${lookups.count} issuer look-ups (the chain loops or offers too many candidates)`, result.error, {
        issuerLookups: lookups.count,
      });
    }
    if (!result.result) throw invalid(result.resultMessage);
    return result.certificatePath ?? [];
  };
  const path = await run(anchors);
  // PKI.js leaves out the trust anchor's own name constraints; RFC 5280's initial subtrees take them.
  const anchor = path[path.length - 1];
  const constraints = anchor?.extensions?.find((e) => e.extnID === NAME_CONSTRAINTS_OID)?.parsedValue as pkijs.NameConstraints | undefined;
  if (!anchor || !constraints) return path;
  return run([anchor], { initialPermittedSubtreesSet: constraints.permittedSubtrees, initialExcludedSubtreesSet: constraints.excludedSubtrees });
}

/**
 * PKI.js's issuer search, with a budget, and when an issuer is among the trust
 * anchors only those are followed, as OpenSSL does by default: a
 * cross-certificate beside a trusted root would otherwise send PKI.js down a
 * branch with no end, which fails the whole search.
 */
function trustedFirst(pki: typeof pkijs, lookups: { count: number }): pkijs.FindIssuerCallback {
  return async (certificate, engine, crypto) => {
    if (lookups.count === MAX_ISSUER_LOOKUPS) throw new LookupBudgetSpent();
    lookups.count++;
    const issuers = await engine.defaultFindIssuer(certificate, engine, crypto ?? pki.getCrypto(true));
    const isAnchor = (c: pkijs.Certificate) => engine.trustedCerts.some((t) => Buffer.from(t.tbsView).equals(Buffer.from(c.tbsView)));
    const trusted = issuers.filter(isAnchor);
    return trusted.length > 0 ? trusted : issuers;
  };
}

function checkValidity(cert: pkijs.Certificate, at: Date): void {
  if (cert.notBefore.value > at || cert.notAfter.value < at) throw invalid('the certificate is either not yet valid or expired');
}

function checkCriticalExtensions(cert: pkijs.Certificate, depth: number): void {
  const unhandled = cert.extensions?.find((e) => e.critical && !HANDLED_CRITICAL.has(e.extnID));
  const which = depth === 0 ? 'the signing certificate' : `the CA certificate at depth ${depth}`;
  if (unhandled) throw invalid(`${which} has an unhandled critical extension ${unhandled.extnID}`);
}

/**
 * pathLenConstraint, which PKI.js does not enforce: a CA may have at most that
 * many intermediates below it (the leaf and self-issued certificates do not count).
 */
function checkPathLength(path: readonly pkijs.Certificate[]): void {
  let below = 0;
  for (let depth = 1; depth < path.length; depth++) {
    const cert = path[depth]!;
    const limit = (cert.extensions?.find((e) => e.extnID === BASIC_CONSTRAINTS_OID)?.parsedValue as pkijs.BasicConstraints | undefined)?.pathLenConstraint;
    if (typeof limit === 'number' && below > limit) {
      throw invalid(`the CA at depth ${depth} allows ${limit} intermediate certificate(s) below it (pathLenConstraint), the path has ${below}`);
    }
    if (!cert.subject.isEqual(cert.issuer)) below++;
  }
}

/** Subject equals issuer and the certificate's own key verifies its signature. */
function isSelfSigned(der: Buffer): boolean {
  try {
    const cert = new crypto.X509Certificate(der);
    return cert.subject === cert.issuer && cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

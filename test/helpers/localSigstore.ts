// A private Sigstore on 127.0.0.1 for tests: Fulcio, Rekor (v1) and an RFC 3161
// timestamp authority built from @sigstore/mock's handler factories, each behind
// a real node:http server, plus the matching trusted root, signing config and
// ClientTrustConfig, and a JWT minter for the mock Fulcio.
// See ../shared/docs/sigstore-offline.md (§3–§7) for why it is built this way.
//
// Test-only: @sigstore/mock pulls in nock, which patches node:http process-wide
// when loaded; it is imported lazily here and nock is switched off right after.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface LocalSigstoreOptions {
  /** Shift of the Fulcio CA clock relative to the log/TSA clock t0 (default -60_000 ms). Use e.g. -2 * 3600_000 to make certificates that had expired at log/timestamp time. */
  caClockOffsetMs?: number;
  /** OIDC issuer URL to list in the signing config's oidcUrls (another stand-in provides it); optional. Also the default `iss` of mintToken. */
  oidcIssuerURL?: string;
  /** Whether to include the TSA (default true) in the signing config / trusted root. The server runs either way. */
  tsa?: boolean;
  /** Whether to include Rekor (default true) in the signing config / trusted root. The server runs either way. */
  rekor?: boolean;
  /** The services' clock, read at every certificate, log entry and timestamp (default Date.now). */
  clock?: () => number;
}

export interface LocalSigstore {
  /** Fulcio base URL (POST /api/v2/signingCert). */
  fulcioURL: string;
  /** Rekor v1 base URL (POST /api/v1/log/entries, GET /api/v1/log/entries/{uuid}). */
  rekorURL: string;
  /** The full timestamp URL, …/api/v1/timestamp (as a signing config names it). */
  tsaURL: string;
  /**
   * When the services started (t0, a whole second + 123 ms); the trust material is valid from an hour before. Each
   * request is stamped with the clock's time when it comes: TSA genTime, Rekor integratedTime, and certificates
   * valid from that time + caClockOffsetMs.
   */
  time: Date;
  /** protobuf-JSON TrustedRoot (application/vnd.dev.sigstore.trustedroot+json;version=0.1). */
  trustedRoot: Record<string, unknown>;
  /** protobuf-JSON SigningConfig v0.2. */
  signingConfig: Record<string, unknown>;
  /** {mediaType: application/vnd.dev.sigstore.clienttrustconfig.v0.1+json, trustedRoot, signingConfig}. */
  clientTrustConfig: Record<string, unknown>;
  /** Writes clientTrustConfig as JSON (creating the folder). */
  writeTrustConfig(file: string): void;
  /**
   * An ES256 JWT for the mock Fulcio: {iss, sub, email, email_verified: true, aud: 'sigstore', iat, nbf, exp}
   * plus extra claims (e.g. GitHub workflow claims). Extra claims override the defaults (e.g. `exp`).
   * With neither `email` nor `sub`, email is DEFAULT_EMAIL. Without `email`, there is no email claim and
   * the certificate SAN is `sub` (as for CI tokens); with `email`, the SAN is the email.
   */
  mintToken(claims: { email?: string; sub?: string; iss?: string; [k: string]: unknown }): Promise<string>;
  /** Closes the servers and their connections; idempotent. */
  stop(): Promise<void>;
}

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';
export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';
export const CLIENT_TRUST_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json';
/** `iss` of minted tokens when neither the claims nor the options name an issuer. */
export const DEFAULT_ISSUER = 'https://oidc.local-sigstore.test';
export const DEFAULT_EMAIL = 'dev@example.com';

const HOUR = 3600_000;
const FULCIO_PATH = '/api/v2/signingCert';
const REKOR_PATH = '/api/v1/log/entries';
const TSA_PATH = '/api/v1/timestamp';

type MockModule = typeof import('@sigstore/mock');
type HandlerFn = ReturnType<MockModule['fulcioHandler']>['fn'];
type HandlerResult = Awaited<ReturnType<HandlerFn>>;
/** Answers one request, or undefined for 404. */
type Route = (method: string, pathname: string, body: string) => Promise<HandlerResult | undefined>;

/** A LocalSigstore with its ClientTrustConfig written to a temporary file (removed when the test file ends). */
export async function startLocalSigstoreWithTrustFile(options: LocalSigstoreOptions = {}): Promise<{ sigstore: LocalSigstore; trustConfigPath: string }> {
  // Loaded here, not at the top: fixtures registers a node:test hook, which would make `npm start` (no test) print a test report.
  const { tempDir } = await import('./fixtures');
  const sigstore = await startLocalSigstore(options);
  const trustConfigPath = path.join(tempDir(), 'trust.json');
  sigstore.writeTrustConfig(trustConfigPath);
  return { sigstore, trustConfigPath };
}

export async function startLocalSigstore(options: LocalSigstoreOptions = {}): Promise<LocalSigstore> {
  const caOffset = options.caClockOffsetMs ?? -60_000;
  const withTSA = options.tsa ?? true;
  const withRekor = options.rekor ?? true;

  // Lazy, test-only import; nock (required by the mock's index) patches
  // http.request/ClientRequest on load, so restore them at once. Resolve nock and
  // jose from the mock's own location: they are its dependencies, not ours.
  const mock: MockModule = await import('@sigstore/mock');
  const mockRequire = createRequire(require.resolve('@sigstore/mock'));
  (mockRequire('nock') as { restore(): void }).restore();
  const jose = mockRequire('jose') as typeof import('jose');

  const servers: http.Server[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections(); // keep-alive sockets of make-fetch-happen's agent
          }),
      ),
    );
  };

  try {
    // Routes are filled in once the services exist; the Rekor URL must be known first.
    let fulcioRoute: Route = () => Promise.resolve(undefined);
    let rekorRoute: Route = () => Promise.resolve(undefined);
    let tsaRoute: Route = () => Promise.resolve(undefined);
    const fulcioURL = await listen(servers, (m, p, b) => fulcioRoute(m, p, b));
    const rekorURL = await listen(servers, (m, p, b) => rekorRoute(m, p, b));
    const tsaBaseURL = await listen(servers, (m, p, b) => tsaRoute(m, p, b));

    const ecKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const [caKey, ctKey, tlogKey, tsaKey] = [ecKey(), ecKey(), ecKey(), ecKey()];

    // Clocks. The mock keeps each `clock` Date by reference and reads it at every
    // issue/log/timestamp, while its root certificates get notBefore = real now
    // at init. So create the roots first with placeholder Dates, then set the
    // Dates before every request to the clock's second, with 123 ms so the TSA
    // genTime has three fractional digits (doc §5, Fix 2): a long-running server
    // (npm start) signs at the real time, after what happened before it.
    const clock = options.clock ?? Date.now;
    const serviceTime = () => Math.floor(clock() / 1000) * 1000 + 123;
    const [caClock, tsaClock, tlogClock] = [new Date(0), new Date(0), new Date(0)];
    const tick = () => {
      const t = serviceTime();
      caClock.setTime(t + caOffset);
      tsaClock.setTime(t);
      tlogClock.setTime(t);
    };
    const ctlog = await mock.initializeCTLog(ctKey, caClock);
    const ca = await mock.initializeCA(caKey, ctlog, caClock);
    const tsa = await mock.initializeTSA(tsaKey, tsaClock);
    const t0 = serviceTime();
    for (const der of [ca.rootCertificate, tsa.rootCertificate, tsa.intCertificate]) {
      const notBefore = Date.parse(new crypto.X509Certificate(toBuffer(der)).validFrom);
      if (!(notBefore <= t0)) throw new Error(`local Sigstore: a mock root starts after t0 (${new Date(notBefore).toISOString()})`);
    }
    const tlog = await mock.initializeTLog(rekorURL, tlogKey, tlogClock);

    const fulcioByEmail = mock.fulcioHandler(ca, { strict: true, subjectClaim: 'email' }).fn;
    const fulcioBySub = mock.fulcioHandler(ca, { strict: true, subjectClaim: 'sub' }).fn;
    fulcioRoute = async (method, pathname, body) => {
      if (method !== 'POST' || pathname !== FULCIO_PATH) return undefined;
      tick();
      // Email tokens get the email as SAN; tokens without one (CI) get `sub`.
      return (tokenHasEmail(body) ? fulcioByEmail : fulcioBySub)(body);
    };

    const rekor = mock.rekorHandler(tlog).fn;
    const entries = new Map<string, unknown>();
    rekorRoute = async (method, pathname, body) => {
      if (method === 'POST' && pathname === REKOR_PATH) {
        tick();
        const result = await rekor(canonicalRekorEntry(body));
        if (result.statusCode === 201 && typeof result.response === 'string') {
          for (const [uuid, entry] of Object.entries(JSON.parse(result.response) as Record<string, unknown>)) entries.set(uuid, entry);
        }
        return result;
      }
      // Only used by @sigstore/sign after a 409 with fetchOnConflict, which this Rekor never sends.
      if (method === 'GET' && pathname.startsWith(`${REKOR_PATH}/`)) {
        const uuid = pathname.slice(REKOR_PATH.length + 1);
        const entry = entries.get(uuid);
        return entry === undefined
          ? { statusCode: 404, response: JSON.stringify({ code: 404, message: 'entry not found' }), contentType: 'application/json' }
          : { statusCode: 200, response: JSON.stringify({ [uuid]: entry }), contentType: 'application/json' };
      }
      return undefined;
    };

    const timestamp = mock.tsaHandler(tsa).fn;
    tsaRoute = async (method, pathname, body) => {
      if (method !== 'POST' || pathname !== TSA_PATH) return undefined;
      tick();
      return timestamp(body);
    };
    const tsaURL = `${tsaBaseURL}${TSA_PATH}`;

    // Trust material, back-dated an hour before the earliest service time.
    const start = new Date(Math.min(t0, t0 + caOffset) - HOUR).toISOString();
    const ecKeyDetails = 'PKIX_ECDSA_P256_SHA_256';
    const trustedRoot: Record<string, unknown> = {
      mediaType: TRUSTED_ROOT_MEDIA_TYPE,
      // Repeated fields are left out when empty, as protobuf-JSON (TrustedRoot.toJSON) writes them.
      ...(withRekor
        ? {
            tlogs: [
              {
                baseUrl: rekorURL, // must contain the checkpoint origin (host:port)
                hashAlgorithm: 'SHA2_256',
                publicKey: { rawBytes: b64(tlog.publicKey), keyDetails: ecKeyDetails, validFor: { start } },
                logId: { keyId: sha256b64(tlog.publicKey) },
              },
            ],
          }
        : {}),
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
          uri: fulcioURL,
          certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
          validFor: { start },
        },
      ],
      ctlogs: [
        {
          baseUrl: `${fulcioURL}/ct`,
          hashAlgorithm: 'SHA2_256',
          publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: ecKeyDetails, validFor: { start } },
          logId: { keyId: b64(ctlog.logID) },
        },
      ],
      ...(withTSA
        ? {
            timestampAuthorities: [
              {
                subject: { organization: 'sigstore.mock', commonName: 'tsa' },
                uri: tsaURL,
                certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] }, // leaf first
                validFor: { start },
              },
            ],
          }
        : {}),
    };

    const service = (url: string) => ({ url, majorApiVersion: 1, validFor: { start }, operator: 'localhost' });
    const signingConfig: Record<string, unknown> = {
      mediaType: SIGNING_CONFIG_MEDIA_TYPE,
      caUrls: [service(fulcioURL)],
      // The OIDC stand-in (added later) passes its issuer URL here.
      ...(options.oidcIssuerURL ? { oidcUrls: [service(options.oidcIssuerURL)] } : {}),
      // Empty lists are left out (protobuf-JSON), and so are the selectors without
      // a service: @sigstore/sign throws when a selector names no service.
      ...(withRekor ? { rekorTlogUrls: [service(rekorURL)], rekorTlogConfig: { selector: 'ANY' } } : {}),
      ...(withTSA ? { tsaUrls: [service(tsaURL)], tsaConfig: { selector: 'ANY' } } : {}),
    };
    const clientTrustConfig: Record<string, unknown> = { mediaType: CLIENT_TRUST_CONFIG_MEDIA_TYPE, trustedRoot, signingConfig };

    const tokenKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const defaultIssuer = options.oidcIssuerURL ?? DEFAULT_ISSUER;
    const mintToken: LocalSigstore['mintToken'] = async (claims) => {
      const { email: givenEmail, sub: givenSub, iss = defaultIssuer, ...extra } = claims;
      const email = givenEmail ?? (givenSub === undefined ? DEFAULT_EMAIL : undefined);
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss,
        sub: givenSub ?? email,
        ...(email !== undefined ? { email, email_verified: true } : {}),
        aud: 'sigstore',
        iat: now,
        nbf: now,
        exp: now + 600,
        ...extra,
      };
      return new jose.SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'local-sigstore' }).sign(tokenKey.privateKey);
    };

    return {
      fulcioURL,
      rekorURL,
      tsaURL,
      time: new Date(t0),
      trustedRoot,
      signingConfig,
      clientTrustConfig,
      writeTrustConfig(file: string) {
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        fs.writeFileSync(file, `${JSON.stringify(clientTrustConfig, null, 2)}\n`);
      },
      mintToken,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A node:http server on 127.0.0.1:0 answering through `route`; resolves to its base URL. */
async function listen(servers: http.Server[], route: Route): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      route(req.method ?? 'GET', pathname, Buffer.concat(chunks).toString('utf8'))
        .then(
          (r) =>
            r ?? {
              statusCode: 404,
              response: JSON.stringify({ code: 404, message: `no route for ${req.method} ${pathname}` }),
              contentType: 'application/json',
            },
        )
        .catch((e: unknown) => ({ statusCode: 500, response: e instanceof Error ? e.message : String(e), contentType: 'text/plain' }))
        .then(({ statusCode, response, contentType }) => {
          res.writeHead(statusCode, { 'content-type': contentType || 'text/plain' });
          res.end(typeof response === 'string' ? response : toBuffer(response));
        })
        // The answer could not be written (the client went away): drop the connection.
        .catch((e: unknown) => res.destroy(e instanceof Error ? e : new Error(String(e))));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Fix A (doc §4): real Rekor stores a `dsse` proposal in canonical form
 * {envelopeHash, payloadHash, signatures[{signature, verifier}]}, which
 * @sigstore/verify checks; the mock would store the proposal as-is.
 */
function canonicalRekorEntry(body: string): string {
  let e: { kind?: string; apiVersion?: string; spec?: { proposedContent?: { envelope: string; verifiers: string[] } } };
  try {
    e = JSON.parse(body) as typeof e;
  } catch {
    return body; // the mock answers 400
  }
  const proposed = e.spec?.proposedContent;
  if (e.kind !== 'dsse' || !proposed) return body;
  const env = JSON.parse(proposed.envelope) as { payload: string; signatures: Array<{ sig: string }> };
  return JSON.stringify({
    apiVersion: e.apiVersion,
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256hex(Buffer.from(proposed.envelope)) },
      payloadHash: { algorithm: 'sha256', value: sha256hex(Buffer.from(env.payload, 'base64')) },
      signatures: env.signatures.map((s) => ({ signature: s.sig, verifier: proposed.verifiers[0] })),
    },
  });
}

/** Whether the Fulcio request's identity token carries an `email` claim. */
function tokenHasEmail(body: string): boolean {
  try {
    const token = (JSON.parse(body) as { credentials?: { oidcIdentityToken?: string } }).credentials?.oidcIdentityToken ?? '';
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof claims.email === 'string';
  } catch {
    return true; // let the mock report the bad request
  }
}

function toBuffer(v: ArrayBufferView): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
function b64(v: ArrayBufferView): string {
  return toBuffer(v).toString('base64');
}
function sha256hex(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}
function sha256b64(v: ArrayBufferView): string {
  return crypto.createHash('sha256').update(toBuffer(v)).digest('base64');
}

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SigningConfig, TrustedRoot } from '@sigstore/protobuf-specs';
import seeds from '@sigstore/tuf/seeds.json';
import { FormatError } from '../errors';
import { parseJson } from '../io/parseJson';
import { MAX_TRUST_CONFIG_BYTES, readInputTextSync } from '../io/readInputFile';
import stagingSigningConfig from './staging/signing_config.v0.2.json';
import stagingTrustedRoot from './staging/trusted_root.json';

export const CLIENT_TRUST_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json';
export const PRODUCTION_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
export const PRODUCTION_OIDC_ISSUER = 'https://oauth2.sigstore.dev/auth';

/** Where the trusted root in use came from: `staging` is the built-in staging one. */
export type TrustRootSource = 'embedded' | 'tuf' | 'trust-config' | 'staging';

/**
 * What a keyless signer and verifier trust and talk to: a Sigstore trusted
 * root (CAs, logs, timestamp authorities) and a signing config (their URLs).
 */
export interface TrustConfig {
  trustedRoot: Record<string, unknown>;
  signingConfig?: Record<string, unknown>;
  source: TrustRootSource;
  /** The newest `validFor.start` in the trusted root: when its latest key came into use. */
  date: string;
  /** The file it was read from, for a trust config or a TUF cache. */
  path?: string;
}

/** Reads a ClientTrustConfig JSON file (`--trust-config`). */
export function loadTrustConfig(file: string): TrustConfig {
  const text = readInputTextSync(file, { what: 'trust config', maxBytes: MAX_TRUST_CONFIG_BYTES, unreadableCode: 'TRUST_CONFIG_INVALID' });
  const json = parseJson(text, (why) => new FormatError('TRUST_CONFIG_INVALID', `The trust config '${file}' ${why}`, { path: file }));
  const o = json as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || o.mediaType !== CLIENT_TRUST_CONFIG_MEDIA_TYPE) {
    throw new FormatError('TRUST_CONFIG_INVALID', `'${file}' is not a Sigstore ClientTrustConfig (${CLIENT_TRUST_CONFIG_MEDIA_TYPE})`, { path: file });
  }
  // Python's sigstore writes `signing_config`; protobuf JSON says `signingConfig`.
  const signingConfig = (o.signingConfig ?? o.signing_config) as Record<string, unknown> | undefined;
  return checked({ trustedRoot: o.trustedRoot as Record<string, unknown>, signingConfig, source: 'trust-config', date: '', path: file });
}

/**
 * The production trusted root embedded in @sigstore/tuf (its TUF seed), with the
 * public-good signing config: verification needs no network.
 */
export function productionTrustConfig(): TrustConfig {
  const encoded = embeddedSeed().targets?.['trusted_root.json'];
  if (!encoded) throw new FormatError('TRUST_CONFIG_INVALID', 'The embedded production trusted root is missing');
  const trustedRoot = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Record<string, unknown>;
  return checked({ trustedRoot, signingConfig: PRODUCTION_SIGNING_CONFIG, source: 'embedded', date: '' });
}

/** The public-good instance's services, as its signing config names them. */
export const PRODUCTION_SIGNING_CONFIG: Record<string, unknown> = {
  mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
  caUrls: [{ url: 'https://fulcio.sigstore.dev', majorApiVersion: 1, validFor: { start: '2023-04-14T21:38:40Z' }, operator: 'sigstore.dev' }],
  oidcUrls: [{ url: PRODUCTION_OIDC_ISSUER, majorApiVersion: 1, validFor: { start: '2025-04-16T00:00:00Z' }, operator: 'sigstore.dev' }],
  rekorTlogUrls: [{ url: 'https://rekor.sigstore.dev', majorApiVersion: 1, validFor: { start: '2021-01-12T11:53:27Z' }, operator: 'sigstore.dev' }],
  tsaUrls: [
    { url: 'https://timestamp.sigstore.dev/api/v1/timestamp', majorApiVersion: 1, validFor: { start: '2025-04-09T00:00:00Z' }, operator: 'sigstore.dev' },
  ],
  rekorTlogConfig: { selector: 'ANY' },
  tsaConfig: { selector: 'ANY' },
};

/**
 * Sigstore's staging instance (`--use-staging`), built in as the production root is: its TUF
 * targets `trusted_root.json` and `signing_config.v0.2.json`, byte for byte, from
 * https://github.com/sigstore/root-signing-staging/tree/main/targets at commit ed88d5d
 * (2026-08-21, targets version 28; the test checks their sha256 against that metadata).
 * The reference gets the same files from the staging TUF repository.
 */
export function stagingTrustConfig(): TrustConfig {
  return checked({
    trustedRoot: stagingTrustedRoot,
    signingConfig: stagingSigningConfig,
    source: 'staging',
    date: '',
  });
}

/** Default TUF cache: beside other per-user caches. */
export function defaultTufCachePath(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'model-signing', 'tuf');
}

export interface RefreshOptions {
  mirrorURL?: string;
  cachePath?: string;
  timeoutMs?: number;
}

/**
 * Fetches the current production trusted root through TUF (signed metadata,
 * rooted in the root.json embedded in @sigstore/tuf). Throws when the mirror
 * cannot be reached; the caller decides whether that is only a warning.
 */
export async function refreshTrustConfig(options: RefreshOptions = {}): Promise<TrustConfig> {
  const { getTrustedRoot } = await import('@sigstore/tuf');
  const cachePath = options.cachePath ?? defaultTufCachePath();
  const mirrorURL = options.mirrorURL ?? PRODUCTION_TUF_MIRROR;
  // A mirror of production is rooted in the same root.json @sigstore/tuf embeds for the main URL.
  let rootPath: string | undefined;
  if (mirrorURL !== PRODUCTION_TUF_MIRROR) {
    rootPath = path.join(cachePath, 'production-root.json');
    fs.mkdirSync(cachePath, { recursive: true });
    fs.writeFileSync(rootPath, Buffer.from(embeddedSeed()['root.json'] ?? '', 'base64'));
  }
  const root = await getTrustedRoot({ mirrorURL, cachePath, rootPath, retry: false, timeout: options.timeoutMs ?? 5000 });
  const trustedRoot = TrustedRoot.toJSON(root) as Record<string, unknown>;
  const config = checked({ trustedRoot, signingConfig: PRODUCTION_SIGNING_CONFIG, source: 'tuf', date: '', path: path.join(cachePath, REFRESHED_ROOT) });
  // Our own copy, written only after TUF verified it: @sigstore/tuf also seeds its
  // cache with the built-in root, which must not pass for a refreshed one.
  fs.writeFileSync(`${config.path}.tmp`, JSON.stringify(trustedRoot));
  fs.renameSync(`${config.path}.tmp`, config.path!);
  return config;
}

const REFRESHED_ROOT = 'trusted_root.json';

/** The OIDC issuer a signing config names (the first valid one), if any. */
export function oidcIssuerOf(config: TrustConfig): string | undefined {
  const urls = (config.signingConfig?.oidcUrls ?? []) as Array<{ url?: string }>;
  return urls.find((u) => typeof u.url === 'string')?.url;
}

function checked(config: TrustConfig): TrustConfig {
  try {
    TrustedRoot.fromJSON(config.trustedRoot);
    if (config.signingConfig) SigningConfig.fromJSON(config.signingConfig);
  } catch (e) {
    throw new FormatError(
      'TRUST_CONFIG_INVALID',
      `Invalid trust config${config.path ? ` '${config.path}'` : ''}: ${(e as Error).message}`,
      { path: config.path },
      e,
    );
  }
  if (typeof config.trustedRoot !== 'object' || config.trustedRoot === null || !Array.isArray(config.trustedRoot.certificateAuthorities)) {
    throw new FormatError(
      'TRUST_CONFIG_INVALID',
      `Invalid trust config${config.path ? ` '${config.path}'` : ''}: it has no trusted root with certificate authorities`,
      { path: config.path },
    );
  }
  return { ...config, date: newestStart(config.trustedRoot) };
}

function newestStart(root: Record<string, unknown>): string {
  const starts: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'validFor' && x && typeof (x as { start?: unknown }).start === 'string') starts.push((x as { start: string }).start);
        else visit(x);
      }
    }
  };
  visit(root);
  const newest = starts
    .map((s) => Date.parse(s))
    .filter((t) => !Number.isNaN(t))
    .sort((a, b) => b - a)[0];
  return newest === undefined ? '' : new Date(newest).toISOString();
}

export interface TrustConfigChoice {
  /** `--trust-config FILE`: a private deployment, or a pinned root. Wins over everything else. */
  trustConfigPath?: string;
  /** `--use-staging`. */
  useStaging?: boolean;
  /** `--refresh-trust-root`: ask TUF for the current production root now. */
  refresh?: boolean;
  /** Where TUF is asked (tests point it at a local port); default the production mirror. */
  tufMirrorURL?: string;
  tufCachePath?: string;
  /** Now, for the staleness check. */
  now?: Date;
}

export interface ResolvedTrustConfig {
  config: TrustConfig;
  /** A refresh that failed, or an embedded root past its TUF expiry: said, never fatal. */
  warnings: string[];
}

/**
 * Picks the trust config: a given file; else the production root, refreshed
 * through TUF when asked or when the embedded TUF root has expired (at most
 * one attempt a day), falling back to the last refreshed copy or the embedded
 * one. Verification therefore never needs the network.
 */
export async function resolveTrustConfig(choice: TrustConfigChoice = {}): Promise<ResolvedTrustConfig> {
  if (choice.trustConfigPath) return { config: loadTrustConfig(choice.trustConfigPath), warnings: [] };
  if (choice.useStaging) return { config: stagingTrustConfig(), warnings: [] };
  const warnings: string[] = [];
  const now = choice.now ?? new Date();
  const cachePath = choice.tufCachePath ?? process.env.MODEL_SIGNING_TUF_CACHE ?? defaultTufCachePath();
  const mirrorURL = choice.tufMirrorURL ?? process.env.MODEL_SIGNING_TUF_MIRROR ?? PRODUCTION_TUF_MIRROR;
  const expires = embeddedRootExpiry();
  const stale = expires !== undefined && expires < now;
  const attempt = choice.refresh || (stale && !attemptedToday(cachePath, now));
  if (attempt) {
    markAttempt(cachePath, now);
    try {
      return { config: await refreshTrustConfig({ mirrorURL, cachePath }), warnings };
    } catch (e) {
      warnings.push(
        `Could not refresh the Sigstore trusted root from ${mirrorURL} (${describeNetworkError(e)}); using the ${fs.existsSync(path.join(cachePath, REFRESHED_ROOT)) ? 'last refreshed' : 'built-in'} copy`,
      );
    }
  }
  const cached = readCachedRoot(cachePath);
  if (cached) return { config: cached, warnings };
  if (stale && !attempt) {
    warnings.push(
      `The built-in Sigstore trusted root's TUF metadata expired on ${expires.toISOString().slice(0, 10)}; run once with network access and --refresh-trust-root to update it`,
    );
  }
  return { config: productionTrustConfig(), warnings };
}

/** The TUF seed @sigstore/tuf ships for the production repository: base64 root.json and targets. */
function embeddedSeed(): { 'root.json'?: string; targets?: Record<string, string> } {
  return (seeds as Record<string, { 'root.json'?: string; targets?: Record<string, string> }>)[PRODUCTION_TUF_MIRROR] ?? {};
}

function embeddedRootExpiry(): Date | undefined {
  const encoded = embeddedSeed()['root.json'];
  if (!encoded) return undefined;
  const expires = (JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as { signed?: { expires?: string } }).signed?.expires;
  return expires ? new Date(expires) : undefined;
}

function readCachedRoot(cachePath: string): TrustConfig | undefined {
  const file = path.join(cachePath, REFRESHED_ROOT);
  try {
    const text = readInputTextSync(file, { what: 'refreshed trusted root', maxBytes: MAX_TRUST_CONFIG_BYTES, unreadableCode: 'TRUST_CONFIG_INVALID' });
    const trustedRoot = parseJson(text, (why) => new FormatError('TRUST_CONFIG_INVALID', `The cached trusted root ${why}`)) as Record<string, unknown>;
    return checked({ trustedRoot, signingConfig: PRODUCTION_SIGNING_CONFIG, source: 'tuf', date: '', path: file });
  } catch {
    return undefined;
  }
}

const ATTEMPT_MARKER = 'last-refresh-attempt';

function attemptedToday(cachePath: string, now: Date): boolean {
  try {
    return now.getTime() - fs.statSync(path.join(cachePath, ATTEMPT_MARKER)).mtimeMs < 86_400_000;
  } catch {
    return false;
  }
}

function markAttempt(cachePath: string, now: Date): void {
  try {
    fs.mkdirSync(cachePath, { recursive: true });
    const marker = path.join(cachePath, ATTEMPT_MARKER);
    fs.writeFileSync(marker, now.toISOString());
    fs.utimesSync(marker, now, now);
  } catch {
    // A read-only home only costs a retry next time.
  }
}

function describeNetworkError(e: unknown): string {
  const cause = (e as { cause?: { code?: string } }).cause;
  const code = (e as { code?: string }).code;
  return cause?.code ?? code ?? (e instanceof Error ? e.message.split('\n')[0]! : String(e));
}

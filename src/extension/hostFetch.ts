// make-fetch-happen, as @sigstore/sign and tuf-js call it, on the extension host's own fetch.
// esbuild puts this in place of make-fetch-happen in the extension's bundles (esbuild.mjs).
//
// Why: VS Code wraps every http(s) agent of the extension host for its proxy support, and
// @npmcli/agent, under make-fetch-happen, then sets a header after the request has gone out: the
// request throws in the background and hangs (npm/agent#175, microsoft/vscode#170604), so keyless
// signing never finished in the editor. The host's fetch follows the editor's proxy settings.

export interface FetchOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Milliseconds for the whole request. */
  timeout?: number;
  /** Attempts after the first (a count, or promise-retry's options); false or absent: none. */
  retry?: false | number | { retries?: number };
}

export type HostResponse = Response & { buffer(): Promise<Buffer> };

/** Worth another try: the network failed, or the server is busy (never for a POST, which may have landed). */
const transient = (status: number) => status === 408 || status === 429 || status >= 500;

export default async function fetch(url: string | URL, options: FetchOptions = {}): Promise<HostResponse> {
  const method = options.method ?? 'GET';
  const retries = typeof options.retry === 'number' ? options.retry : options.retry ? (options.retry.retries ?? 0) : 0;
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= retries;
    try {
      const response = await globalThis.fetch(url, {
        method,
        headers: options.headers,
        body: options.body,
        signal: options.timeout ? AbortSignal.timeout(options.timeout) : undefined,
      });
      if (last || method === 'POST' || !transient(response.status)) {
        // node-fetch's Buffer reader, which @sigstore/sign's timestamp client uses.
        return Object.assign(response, { buffer: async () => Buffer.from(await response.arrayBuffer()) });
      }
    } catch (e) {
      if (last) throw e;
    }
    await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
  }
}

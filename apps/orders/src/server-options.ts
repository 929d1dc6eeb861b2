/**
 * The HTTP server's own bounds: how long a client may take to send a request,
 * how many connections it may hold, and whose X-Forwarded-For names the client.
 */

/** How long a client may take to send a request, and how many connections it may hold. */
export interface HttpLimits {
  /** the request line and every header must arrive within this (Node's headersTimeout) */
  headersTimeoutMs: number;
  /** the whole request, headers and body, must arrive within this (Node's requestTimeout) */
  requestTimeoutMs: number;
  /** open connections at most; beyond it new connections are closed at once */
  maxConnections: number;
}

export const HTTP_LIMIT_DEFAULTS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConnections: 4096,
};

/** a hop count becomes proxy-addr's function form: trust the nearest N addresses */
export function trustProxyOption(value: boolean | number | string | undefined) {
  return typeof value === 'number' ? (_address: string, hop: number) => hop < value : (value ?? false);
}

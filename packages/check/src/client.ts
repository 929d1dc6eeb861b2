/**
 * Every request the checker sends goes through here: only to the target, never
 * more than the budget, each one recorded so a failure can show its evidence
 * and a curl that reproduces it.
 */
import net from 'node:net';

export interface Exchange {
  request: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: string;
    /** the shell variable a reproducer shows for the bearer key: API_KEY, OTHER_API_KEY (undefined: shown as sent) */
    credential?: string;
  };
  response: { status: number; headers: Record<string, string>; body: string } | { error: string };
}

export class BudgetExceeded extends Error {
  override name = 'BudgetExceeded';
}

export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  apiKey?: string | null;
  /** give up after this long (default 30 s) */
  timeoutMs?: number;
  /**
   * false: hand back a 429 as it came. Otherwise (the default) the checker is a well-behaved
   * client: it waits the 429's Retry-After (when it is short enough) and sends the same request
   * again — the checks judge the API, not its quota.
   */
  pace?: boolean;
}

/** seconds to wait: delta-seconds or an HTTP-date; undefined when malformed */
export function retryAfterS(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

export interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: unknown;
  exchange: Exchange;
}

/** a network failure of the target itself (refused, reset, timed out), not a refused request */
export function isUnreachable(error: unknown): boolean {
  const e = error as { message?: string; cause?: { code?: string } } | undefined;
  return /fetch failed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|UND_ERR|timeout|aborted|other side closed/i.test(
    `${e?.message ?? ''} ${e?.cause?.code ?? ''}`,
  );
}

export function createClient(options: {
  baseUrl: string;
  apiKey?: string;
  /** the second tenant's key: its reproducers show $OTHER_API_KEY */
  otherApiKey?: string;
  maxRequests: number;
  fetch?: typeof fetch;
  /** called with every exchange that got an answer (the run records Location headers from it) */
  onExchange?: (exchange: Exchange) => void;
  /** on 429: wait Retry-After when it is at most maxWaitS, at most maxRetries times per request (default 10 s, 5) */
  pacing?: { maxWaitS: number; maxRetries: number };
  /** how the client waits (tests pass a fake) */
  sleep?: (ms: number) => Promise<void>;
}) {
  const base = new URL(options.baseUrl);
  const doFetch = options.fetch ?? fetch;
  const pacing = options.pacing ?? { maxWaitS: 10, maxRetries: 5 };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let sent = 0;
  const paced = { requests: 0, waitedS: 0 };

  function prepare(spec: RequestSpec) {
    if (sent >= options.maxRequests)
      throw new BudgetExceeded(`the request budget (${options.maxRequests}) is spent`);
    sent++;
    const url = new URL(spec.path, base);
    if (url.origin !== base.origin)
      throw new Error(`refusing to call ${url.origin}: only ${base.origin} is the target`);
    const key = spec.apiKey === undefined ? options.apiKey : spec.apiKey;
    const headers: Record<string, string> = {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...spec.headers,
    };
    if (spec.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
    // a credential the checker forged on purpose (the auth checks) is shown as sent
    const credential =
      key && headers.authorization === `Bearer ${key}`
        ? key === options.otherApiKey && key !== options.apiKey
          ? 'OTHER_API_KEY'
          : 'API_KEY'
        : headers.authorization === undefined
          ? undefined
          : '';
    return { url, headers, credential };
  }

  async function send(spec: RequestSpec): Promise<Response> {
    let response = await sendOnce(spec);
    for (
      let retry = 0;
      spec.pace !== false && response.status === 429 && retry < pacing.maxRetries;
      retry++
    ) {
      const waitS = retryAfterS(response.headers['retry-after']);
      if (waitS === undefined || waitS > pacing.maxWaitS) break;
      if (retry === 0) paced.requests++;
      paced.waitedS += waitS;
      await sleep(waitS * 1000 + 50);
      response = await sendOnce(spec);
    }
    return response;
  }

  async function sendOnce(spec: RequestSpec): Promise<Response> {
    const { url, headers, credential } = prepare(spec);
    const request = { method: spec.method, url: url.toString(), headers, body: spec.body, credential };
    try {
      const response = await doFetch(url, {
        method: spec.method,
        headers,
        body: spec.body,
        signal: AbortSignal.timeout(spec.timeoutMs ?? 30_000),
      });
      const body = await response.text();
      const responseHeaders = Object.fromEntries(response.headers.entries());
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const exchange: Exchange = {
        request,
        response: { status: response.status, headers: responseHeaders, body },
      };
      options.onExchange?.(exchange);
      return { status: response.status, headers: responseHeaders, body, json, exchange };
    } catch (error) {
      const exchange: Exchange = { request, response: { error: (error as Error).message } };
      throw Object.assign(new Error(`${spec.method} ${url.pathname} failed: ${(error as Error).message}`), {
        exchange,
        cause: error,
      });
    }
  }

  return {
    sent: () => sent,
    /** requests that met a 429 and were sent again after its Retry-After, and the seconds waited */
    paced: () => ({ ...paced }),
    send,
    /** Send the whole request on a raw socket, then drop the connection before reading any answer. */
    async sendAndDrop(spec: RequestSpec): Promise<Exchange> {
      const { url, headers, credential } = prepare(spec);
      const body = spec.body ?? '';
      const head = [
        `${spec.method} ${url.pathname}${url.search} HTTP/1.1`,
        `host: ${url.host}`,
        `content-length: ${Buffer.byteLength(body)}`,
        'connection: close',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ].join('\r\n');
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: url.hostname, port: Number(url.port || 80) }, () => {
          socket.write(`${head}\r\n\r\n${body}`, () => {
            socket.destroy();
            resolve();
          });
        });
        socket.once('error', reject);
      });
      return {
        request: { method: spec.method, url: url.toString(), headers, body: spec.body, credential },
        response: { error: 'connection dropped by the checker after sending' },
      };
    },
  };
}

export type Client = ReturnType<typeof createClient>;

/**
 * A curl that reproduces the request; each tenant's key is its own shell
 * variable ($API_KEY, $OTHER_API_KEY), a deliberately bad credential is shown as sent.
 */
export function toCurl(exchange: Exchange): string {
  const parts = [`curl -sS -X ${exchange.request.method} '${exchange.request.url}'`];
  const quote = (v: string) => v.replace(/'/g, "'\\''");
  for (const [k, v] of Object.entries(exchange.request.headers)) {
    if (k.toLowerCase() === 'authorization' && exchange.request.credential !== '')
      parts.push(`-H "${k}: Bearer $${exchange.request.credential ?? 'API_KEY'}"`);
    else parts.push(`-H '${k}: ${quote(v)}'`);
  }
  if (exchange.request.body !== undefined)
    parts.push(`--data-raw '${exchange.request.body.replace(/'/g, "'\\''")}'`);
  return parts.join(' ');
}

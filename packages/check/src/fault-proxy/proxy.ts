/**
 * One fault-injection proxy: listens on 127.0.0.1:<port>, forwards to its
 * upstream (streaming bodies, keeping headers) and, while a fault mode is set,
 * injects it. Every request it sees is recorded, so the checks can attribute
 * dependency traffic to the target request that caused it (by time window)
 * and count effects by outbound idempotency key.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FaultMode } from './schedule.ts';

export interface ProxiedCall {
  /** ms since the epoch, when the proxy received it */
  at: number;
  method: string;
  /** path and query as the target sent them (below the upstream's base path) */
  path: string;
  idempotencyKey?: string;
  fault: FaultMode['kind'];
  /** whether it was passed to the upstream */
  forwarded: boolean;
  /** the upstream's status, when it answered */
  upstreamStatus?: number;
  /** whether the target got the upstream's answer */
  delivered: boolean;
  /** the target closed the connection before the answer (e.g. its own timeout) */
  abandoned?: boolean;
}

export interface FaultProxy {
  name: string;
  port: number;
  calls: ProxiedCall[];
  setMode(mode: FaultMode): void;
  mode(): FaultMode;
  /** calls received in [from, to] */
  callsBetween(from: number, to: number): ProxiedCall[];
  /** the last time a call arrived or finished (for "quiet for n ms") */
  lastActivity(): number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
]);

function forwardHeaders(headers: http.IncomingHttpHeaders, host: string): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = { host };
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
  return out;
}

export const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export async function startFaultProxy(options: {
  name: string;
  listenPort: number;
  upstream: string;
  log?: (line: string) => void;
}): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const basePath = upstream.pathname.replace(/\/$/, '');
  const agentModule = upstream.protocol === 'https:' ? https : http;
  const agent = new agentModule.Agent({ keepAlive: true });
  let mode: FaultMode = { kind: 'healthy' };
  let last = 0;
  const calls: ProxiedCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  function forward(req: http.IncomingMessage, res: http.ServerResponse, call: ProxiedCall, drop: boolean) {
    call.forwarded = true;
    const outbound = agentModule.request(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: `${basePath}${req.url ?? '/'}`,
        headers: forwardHeaders(req.headers, upstream.host),
        agent,
      },
      (answer) => {
        call.upstreamStatus = answer.statusCode;
        last = Date.now();
        if (drop) {
          // the upstream did the work; the target never hears of it
          answer.resume();
          answer.once('end', () => req.socket.destroy());
          return;
        }
        const headers = forwardHeaders(answer.headers, '');
        delete headers.host;
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
        answer.once('end', () => {
          call.delivered = true;
          last = Date.now();
        });
      },
    );
    // the target gave up on this call (its own timeout): stop forwarding it
    res.once('close', () => {
      if (!res.writableFinished && !drop) {
        call.abandoned = true;
        outbound.destroy();
      }
    });
    outbound.once('error', (error) => {
      last = Date.now();
      if (call.abandoned) return; // recorded on the call; the upstream saw a cancelled request
      log(`fault proxy ${options.name}: upstream ${upstream.origin} failed: ${error.message}`);
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: upstream failed: ${error.message}`);
      } else res.destroy();
    });
    req.pipe(outbound);
  }

  const server = http.createServer((req, res) => {
    const header = req.headers['idempotency-key'];
    const call: ProxiedCall = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      idempotencyKey: Array.isArray(header) ? header[0] : header,
      fault: mode.kind,
      forwarded: false,
      delivered: false,
    };
    calls.push(call);
    last = call.at;
    const current = mode;
    switch (current.kind) {
      case 'healthy':
        return forward(req, res, call, false);
      case 'latency': {
        req.pause();
        const timer = setTimeout(() => {
          timers.delete(timer);
          req.resume();
          forward(req, res, call, false);
        }, current.ms);
        timers.add(timer);
        return;
      }
      case 'hang':
        // read the request, never answer; closed when the target gives up or the proxy closes
        req.resume();
        return;
      case 'status':
        req.resume();
        res.writeHead(current.status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { code: 'fault_injected', message: 'injected by steadfast-check' } }),
        );
        call.delivered = true;
        return;
      case 'rate-limit':
        req.resume();
        res.writeHead(429, {
          'content-type': 'application/json',
          'retry-after': String(current.retryAfterS),
        });
        res.end(JSON.stringify({ error: { code: 'rate_limited', message: 'injected by steadfast-check' } }));
        call.delivered = true;
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'lost':
        return forward(req, res, call, true);
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPort, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    name: options.name,
    port: (server.address() as AddressInfo).port,
    calls,
    setMode(next) {
      mode = next;
    },
    mode: () => mode,
    callsBetween: (from, to) => calls.filter((c) => c.at >= from && c.at <= to),
    lastActivity: () => last,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}

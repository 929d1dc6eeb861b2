/**
 * A TCP proxy on localhost with injectable delay: every chunk, in either
 * direction, is forwarded `delayMs` later, in order (a chunk never overtakes
 * an earlier one, even when the delay is lowered meanwhile). The chaos harness
 * puts it between PgBouncer/the apps and Postgres.
 */
import net from 'node:net';

export interface LatencyProxy {
  port: number;
  /** a URL like `url` with host and port replaced by the proxy's */
  proxied(url: string): string;
  setDelayMs(ms: number): void;
  delayMs(): number;
  /** connections currently open through the proxy */
  connections(): number;
  close(): Promise<void>;
}

/** When a chunk arriving at `now` is released: `delayMs` later, but never before the previous one. */
export function releaseAt(now: number, delayMs: number, previousRelease: number): number {
  return Math.max(now + delayMs, previousRelease);
}

/** Forwards chunks from `from` to `to` with the proxy's delay, preserving order; ends `to` after the last. */
function delayedPipe(from: net.Socket, to: net.Socket, delayMs: () => number): void {
  let last = 0;
  const schedule = (action: () => void) => {
    const now = performance.now();
    const at = releaseAt(now, delayMs(), last);
    last = at;
    if (at <= now) action();
    else setTimeout(action, at - now);
  };
  from.on('data', (chunk) => {
    schedule(() => {
      if (!to.destroyed) to.write(chunk);
    });
  });
  from.on('end', () => schedule(() => to.end()));
}

export async function startLatencyProxy(options: {
  targetHost: string;
  targetPort: number;
  delayMs?: number;
}): Promise<LatencyProxy> {
  let delay = options.delayMs ?? 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: options.targetHost, port: options.targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    // a broken side (Postgres restarted, a client killed) breaks the other: as a network would
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    delayedPipe(client, upstream, () => delay);
    delayedPipe(upstream, client, () => delay);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    proxied(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    setDelayMs(ms) {
      delay = ms;
    },
    delayMs: () => delay,
    connections: () => sockets.size / 2,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

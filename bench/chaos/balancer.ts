/**
 * A round-robin TCP load balancer on localhost, in front of the web
 * processes: each new connection goes to the next backend; a backend that
 * refuses the connection (killed, not yet restarted) is skipped, as a load
 * balancer's health check would. The client and the sandbox's webhook
 * deliveries both go through it.
 */
import net from 'node:net';

export interface Balancer {
  port: number;
  url: string;
  /** connections handed to each backend port */
  handed(): Record<number, number>;
  close(): Promise<void>;
}

/** The order in which a connection tries the backends: from `start`, round the list. */
export function tryOrder(backends: number[], start: number): number[] {
  const n = backends.length;
  return Array.from({ length: n }, (_, i) => backends[(start + i) % n]);
}

export async function startBalancer(options: { backends: () => number[]; connectTimeoutMs?: number }) {
  let next = 0;
  const counts: Record<number, number> = {};
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  function connectTo(client: net.Socket, candidates: number[]): void {
    const port = candidates[0];
    if (port === undefined || client.destroyed) {
      client.destroy(); // every backend is down: the client sees a connection error and retries
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port });
    upstream.setTimeout(options.connectTimeoutMs ?? 1000);
    let connected = false;
    upstream.once('timeout', () => {
      if (!connected) upstream.destroy(new Error('connect timeout'));
    });
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
      counts[port] = (counts[port] ?? 0) + 1;
      track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.once('error', () => {
      if (!connected) connectTo(client, candidates.slice(1));
      else client.destroy();
    });
    upstream.once('close', () => {
      if (connected) client.destroy();
    });
  }

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.on('error', () => client.destroy());
    const backends = options.backends();
    connectTo(client, tryOrder(backends, next++));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    handed: () => ({ ...counts }),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  } satisfies Balancer;
}

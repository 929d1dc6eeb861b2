/**
 * Slow or greedy clients cannot hold the server: a request whose headers or
 * body dribble in is cut at its bound, the connection cap refuses the
 * connection beyond it, and every other client is served meanwhile.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { buildTestApp } from './testing.ts';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

interface Socketed {
  socket: net.Socket;
  /** everything the server sent, once it closed the connection */
  closed: Promise<string>;
}

function connect(port: number): Promise<Socketed> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      received += chunk;
    });
    const closed = new Promise<string>((done) => socket.on('close', () => done(received)));
    socket.once('error', () => {}); // a reset is one of the answers we expect
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** A request that must be answered while the slow ones are being held. */
async function healthy(url: string): Promise<number> {
  const response = await fetch(`${url}/healthz`);
  await response.arrayBuffer();
  return response.status;
}

describe('slow clients', { timeout: 30_000 }, () => {
  let app: TestApp;
  let url: string;
  let port: number;

  before(async () => {
    app = await buildTestApp({
      httpLimits: { headersTimeoutMs: 400, requestTimeoutMs: 800, maxConnections: 20 },
    });
    url = await app.server.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(url).port);
  });
  after(() => app.close());

  test('a body that dribbles in is cut at the request timeout with a 408; others are served meanwhile', async () => {
    const slow = await connect(port);
    slow.socket.write(
      `POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.tenant.apiKey}\r\n` +
        'Content-Type: application/json\r\nIdempotency-Key: slow-body-1\r\nContent-Length: 100\r\n\r\n{',
    );
    // one byte every 100 ms would take 10 s: far beyond the 800 ms bound
    const drip = setInterval(() => slow.socket.writable && slow.socket.write(' '), 100);
    try {
      assert.equal(await healthy(url), 200, 'another client is served while the slow body is held');
      const answer = await slow.closed;
      assert.match(answer, /^HTTP\/1\.1 408 /, 'the server cut the request with 408');
      assert.match(answer, /content-type: application\/problem\+json/i);
      assert.match(answer, /"type":"\/problems\/request-timeout"/);
    } finally {
      clearInterval(drip);
    }
    const { rows } = await app.db.pool.query(
      "SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'slow-body-1'",
    );
    assert.equal(rows[0].n, 0, 'nothing of the cut request was written');
  });

  test('headers that never finish are cut at the headers timeout', async () => {
    const slow = await connect(port);
    slow.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => slow.socket.writable && slow.socket.write('X-Slow: 1\r\n'), 100);
    try {
      assert.equal(await healthy(url), 200);
      const answer = await slow.closed;
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /"type":"\/problems\/request-timeout"/);
    } finally {
      clearInterval(drip);
    }
  });

  test('connections beyond the cap are closed at once; the server serves again once they go', async () => {
    const held = await Promise.all(Array.from({ length: 20 }, () => connect(port)));
    // each held connection has begun a request, so none of them is idle and closable
    for (const { socket } of held) socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const extra = await connect(port).catch(() => undefined);
    if (extra) {
      const answer = await extra.closed;
      assert.equal(answer, '', 'the connection over the cap is closed without an answer');
    }
    for (const { socket } of held) socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = await healthy(url).catch(() => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 200, 'served again');
  });
});

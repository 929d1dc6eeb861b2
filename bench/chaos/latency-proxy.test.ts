import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { releaseAt, startLatencyProxy } from './latency-proxy.ts';

let echo: net.Server;
let echoPort: number;

before(async () => {
  echo = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  echoPort = (echo.address() as net.AddressInfo).port;
});
after(() => new Promise<void>((resolve) => echo.close(() => resolve())));

/** send `text` through `port`, resolve with what came back once `text.length` bytes arrived */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(text));
    let got = '';
    socket.on('data', (chunk) => {
      got += chunk;
      if (got.length >= text.length) {
        socket.end();
        resolve(got);
      }
    });
    socket.on('error', reject);
  });
}

test('releaseAt: delayed, and never before the chunk ahead of it', () => {
  assert.equal(releaseAt(100, 50, 0), 150);
  assert.equal(releaseAt(100, 0, 140), 140, 'a lowered delay does not let a chunk overtake');
  assert.equal(releaseAt(200, 0, 140), 200);
});

test('the proxy forwards both ways, and the delay can be changed while connections are open', async () => {
  const proxy = await startLatencyProxy({ targetHost: '127.0.0.1', targetPort: echoPort });
  try {
    assert.equal(await roundTrip(proxy.port, 'hello'), 'hello');
    proxy.setDelayMs(60);
    const started = performance.now();
    assert.equal(await roundTrip(proxy.port, 'slow'), 'slow');
    // two delayed legs (there and back): a lower bound, not a timing assertion on speed
    assert.ok(performance.now() - started >= 100, 'the delay applies in both directions');
    assert.equal(proxy.delayMs(), 60);
    assert.equal(
      proxy.proxied('postgres://u:p@db.example:5432/app'),
      `postgres://u:p@127.0.0.1:${proxy.port}/app`,
    );
  } finally {
    await proxy.close();
  }
});

test('a target that refuses breaks the client connection instead of leaving it open', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
  const deadPort = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const proxy = await startLatencyProxy({ targetHost: '127.0.0.1', targetPort: deadPort });
  try {
    await new Promise<void>((resolve) => {
      const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
      socket.on('error', () => {});
      socket.on('close', () => resolve());
    });
  } finally {
    await proxy.close();
  }
});

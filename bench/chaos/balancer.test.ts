import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { after, before, test } from 'node:test';
import { startBalancer, tryOrder } from './balancer.ts';

const servers: http.Server[] = [];
const ports: number[] = [];

before(async () => {
  for (const name of ['a', 'b']) {
    const server = http.createServer((_req, res) => res.end(name));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    servers.push(server);
    ports.push((server.address() as net.AddressInfo).port);
  }
});
after(async () => {
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function get(url: string): Promise<string> {
  // a new connection each time: the balancer picks per connection
  const response = await fetch(url, { headers: { connection: 'close' } });
  return response.text();
}

test('tryOrder: round the list from the start', () => {
  assert.deepEqual(tryOrder([1, 2, 3], 0), [1, 2, 3]);
  assert.deepEqual(tryOrder([1, 2, 3], 4), [2, 3, 1]);
});

test('connections go round-robin, and a backend that refuses is skipped', async () => {
  const down = http.createServer();
  await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', () => resolve()));
  const downPort = (down.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => down.close(() => resolve()));
  const balancer = await startBalancer({ backends: () => [ports[0], downPort, ports[1]] });
  try {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await get(balancer.url));
    assert.ok(answers.includes('a') && answers.includes('b'), `both backends answer: ${answers}`);
    assert.equal(balancer.handed()[downPort], undefined, 'nothing was handed to the dead one');
  } finally {
    await balancer.close();
  }
});

test('every backend down: the client sees a connection error, not a hang', async () => {
  const balancer = await startBalancer({ backends: () => [] });
  try {
    await assert.rejects(fetch(balancer.url, { signal: AbortSignal.timeout(5000) }), /fetch failed/);
  } finally {
    await balancer.close();
  }
});

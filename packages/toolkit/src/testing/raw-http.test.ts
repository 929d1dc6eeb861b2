/**
 * sendRawHttp against a real listening server: the bytes arrive as given, and
 * the answer is parsed however the server splits it — an answer with a
 * Content-Length is complete without the server closing, one without is read
 * until the server closes.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { type TestContext, test } from 'node:test';
import { sendRawHttp } from './raw-http.ts';

const connect = net.connect as (...args: unknown[]) => net.Socket;

/**
 * A loopback server that, once a whole request (ending in a blank line) has
 * arrived, answers with `parts`: each part only after the client has received
 * the one before (so each is a chunk of its own), then closes if `close`.
 */
async function serve(t: TestContext, parts: string[], close: boolean) {
  const requests: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  let next = () => {};
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let request = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      request = Buffer.concat([request, chunk]);
      if (!request.subarray(-4).equals(Buffer.from('\r\n\r\n'))) return;
      requests.push(request);
      const queue = [...parts];
      next = () => {
        const part = queue.shift();
        if (part !== undefined) socket.write(part);
        else if (close) socket.end();
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  // the client's own sockets: once one receives a chunk, the server sends the next part
  t.mock.method(net, 'connect', (...args: unknown[]) => {
    const socket = connect(...args);
    socket.on('data', () => next());
    return socket;
  });
  return { port: (server.address() as net.AddressInfo).port, requests };
}

test('the request bytes arrive exactly as given', async (t) => {
  const { port, requests } = await serve(t, ['HTTP/1.1 204 No Content\r\n\r\n'], true);
  const request = Buffer.from('GET /caf\xe9 HTTP/1.1\r\nHost: x\r\nBroken\r\n\r\n', 'latin1');
  const answer = await sendRawHttp(port, request);
  assert.deepEqual(requests, [Buffer.from('GET /caf\xe9 HTTP/1.1\r\nHost: x\r\nBroken\r\n\r\n', 'latin1')]);
  assert.deepEqual(answer, { status: 204, headers: {}, body: '' });
});

test('an answer with a Content-Length is complete once its body is in, on a kept-alive connection', async (t) => {
  const { port } = await serve(
    t,
    [
      'HTTP/1.1 201 Created\r\nContent-Length: 14\r\nX',
      '-Note:  spaced: out \r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhé',
      'llo, wörld',
    ],
    false,
  );
  const answer = await sendRawHttp(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.deepEqual(answer, {
    status: 201,
    headers: {
      'content-length': '14',
      'x-note': 'spaced: out',
      'content-type': 'text/plain; charset=utf-8',
    },
    body: 'héllo, wörld',
  });
});

test('an answer without a Content-Length is read until the server closes', async (t) => {
  const { port } = await serve(
    t,
    ['HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n', 'gone, ', 'for good'],
    true,
  );
  assert.deepEqual(await sendRawHttp(port, 'GET /old HTTP/1.0\r\n\r\n', '127.0.0.1'), {
    status: 404,
    headers: { server: 'x' },
    body: 'gone, for good',
  });
});

test('bytes that are no HTTP answer are refused, quoting the first 200 characters', async (t) => {
  const { port } = await serve(t, ['g'.repeat(150), 'g'.repeat(150)], true);
  await assert.rejects(sendRawHttp(port, 'GET / HTTP/1.1\r\n\r\n'), {
    message: `no HTTP answer: "${'g'.repeat(200)}"`,
  });
});

test('a connection that is refused rejects with the socket error', async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  await assert.rejects(sendRawHttp(port, 'GET / HTTP/1.1\r\n\r\n'), { code: 'ECONNREFUSED' });
});

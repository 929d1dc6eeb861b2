/**
 * A payments partner that says what a test tells it to — for the answers the
 * sandbox never gives (a lookup by reference returning another order's charge,
 * a charge of the wrong amount, a malformed body). Same paths as the sandbox
 * below its base URL: POST /v1/charges, GET /v1/charges?reference=, GET /v1/charges/{id}.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeCharge = Record<string, unknown>;

/** What POST /v1/charges does: answer with a body, or drop the connection (a lost answer). */
export type PostBehaviour = { answer: unknown } | 'lose';

export interface FakePaymentsPartner {
  /** base URL, e.g. http://127.0.0.1:1234 (the adapter calls {url}/v1/charges) */
  url: string;
  /** charges the lookups and GET by id see (tests add forged ones here) */
  charges: FakeCharge[];
  /** POST answers in turn; when the queue is empty, `defaultPost` */
  posts: PostBehaviour[];
  defaultPost: PostBehaviour;
  /** overrides GET /v1/charges?reference=: the body to answer */
  lookupAnswer?: (reference: string) => unknown;
  /** every request seen, `METHOD path` */
  seen: string[];
  close(): Promise<void>;
}

export async function startFakePaymentsPartner(): Promise<FakePaymentsPartner> {
  const fake: Omit<FakePaymentsPartner, 'url' | 'close'> = {
    charges: [],
    posts: [],
    defaultPost: 'lose',
    seen: [],
  };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    fake.seen.push(`${req.method} ${url.pathname}`);
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && url.pathname === '/v1/charges') {
        const behaviour = fake.posts.shift() ?? fake.defaultPost;
        if (behaviour === 'lose') return void req.socket.destroy();
        return send(res, 200, behaviour.answer);
      }
      if (req.method === 'GET' && url.pathname === '/v1/charges') {
        const reference = url.searchParams.get('reference') ?? '';
        const body = fake.lookupAnswer
          ? fake.lookupAnswer(reference)
          : { data: fake.charges.filter((c) => c.reference === reference) };
        return send(res, 200, body);
      }
      const byId = /^\/v1\/charges\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && byId) {
        const charge = fake.charges.find((c) => c.id === decodeURIComponent(byId[1]));
        return charge
          ? send(res, 200, charge)
          : send(res, 404, { error: { type: 'invalid_request_error', code: 'resource_missing' } });
      }
      send(res, 404, { error: { type: 'invalid_request_error', code: 'not_found' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

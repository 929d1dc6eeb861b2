/**
 * A payments partner on a local port, for tests: it honours Idempotency-Key
 * (one charge per key), records every request, fails on command with 503s,
 * and can refund a charge.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Charge } from '../src/payments.ts';

export type FakeCharge = Charge & { key: string; amount: number; currency: string; reference: string };

export async function startFakePayments() {
  const charges = new Map<string, FakeCharge>();
  const requests: { method: string; path: string; key?: string; reference?: string }[] = [];
  let failures = 0;
  const server = http.createServer(async (request, response) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    const key = request.headers['idempotency-key'] as string | undefined;
    const path = request.url ?? '/';
    const body = text ? JSON.parse(text) : {};
    requests.push({ method: request.method ?? '', path, key, reference: body.reference });
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (failures > 0) {
      failures--;
      return send(503, { error: 'try again later' });
    }
    if (request.method === 'POST' && path === '/charges') {
      if (!key) return send(400, { error: 'Idempotency-Key is required' });
      const existing = [...charges.values()].find((c) => c.key === key);
      if (existing) return send(200, existing);
      const charge: FakeCharge = { id: `ch_${charges.size + 1}`, status: 'succeeded', key, ...body };
      charges.set(charge.id, charge);
      return send(201, charge);
    }
    const charge = request.method === 'GET' && charges.get(path.replace(/^\/charges\//, ''));
    return charge ? send(200, charge) : send(404, { error: 'no such charge' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    charges,
    requests,
    /** answer the next n requests with 503 */
    failNext(n: number) {
      failures = n;
    },
    refund(id: string) {
      const charge = charges.get(id);
      if (charge) charge.status = 'refunded';
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type FakePayments = Awaited<ReturnType<typeof startFakePayments>>;

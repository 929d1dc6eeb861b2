/**
 * For testing the webhook checks: a Standard Webhooks receiver with an effect
 * URL (`GET /effects`: the deliveries it processed by webhook-id, and per
 * subject the state the newest event left). Correct by default, with one
 * fault switch per check.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverFault =
  | 'accepts-forged' // no signature check
  | 'accepts-stale' // no timestamp tolerance
  | 'processes-duplicates' // no deduplication by webhook-id
  | 'rejects-rotated' // only the first signature of the header is tried
  | 'moves-backwards'; // the last event delivered wins, whatever its sequence

export async function startFakeWebhookReceiver(options: { secret: string; fault?: ReceiverFault }) {
  const { fault } = options;
  const key = Buffer.from(options.secret.slice('whsec_'.length), 'base64');
  const processed: string[] = [];
  const subjects = new Map<string, { sequence: number; marker: string }>();

  function verified(headers: http.IncomingHttpHeaders, body: string): boolean {
    const id = headers['webhook-id'];
    const timestamp = headers['webhook-timestamp'];
    const signature = headers['webhook-signature'];
    if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string')
      return false;
    if (fault !== 'accepts-stale' && Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
    if (fault === 'accepts-forged') return true;
    const expected = Buffer.from(
      createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64'),
    );
    const candidates = signature.split(' ').map((part) => Buffer.from(part.split(',')[1] ?? ''));
    return (fault === 'rejects-rotated' ? candidates.slice(0, 1) : candidates).some(
      (c) => c.length === expected.length && timingSafeEqual(c, expected),
    );
  }

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/effects') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ processed, subjects: Object.fromEntries(subjects) }));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/webhooks') {
        res.writeHead(404).end();
        return;
      }
      if (!verified(req.headers, body)) {
        res.writeHead(401, { 'content-type': 'application/problem+json' });
        res.end(
          JSON.stringify({
            type: '/problems/webhook-signature-invalid',
            title: 'Bad signature',
            status: 401,
          }),
        );
        return;
      }
      const id = req.headers['webhook-id'] as string;
      if (fault === 'processes-duplicates' || !processed.includes(id)) {
        processed.push(id);
        const event = JSON.parse(body) as { data?: { subject?: string; sequence?: number; marker?: string } };
        const { subject, sequence, marker } = event.data ?? {};
        const current = subject ? subjects.get(subject) : undefined;
        if (subject && typeof sequence === 'number' && marker)
          if (fault === 'moves-backwards' || !current || sequence > current.sequence)
            subjects.set(subject, { sequence, marker });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/webhooks`,
    effectUrl: `${base}/effects`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Runs autocannon in its own process (argv[2] = JSON options) and prints its
 * result as JSON. With `uniqueKey`, every request gets a fresh Idempotency-Key.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { Webhook } from 'standardwebhooks';
import { signedChargeDelivery } from './signed-delivery.ts';

const options = JSON.parse(process.argv[2]) as {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  connections: number;
  duration: number;
  uniqueKey: boolean;
  /** sign a fresh Standard Webhooks delivery per request with this secret */
  webhookSecret?: string;
  overallRate?: number;
};

const webhook = new Webhook(options.webhookSecret ?? 'whsec_MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=');
const result = await autocannon({
  url: options.url,
  method: options.method as 'GET',
  headers: options.headers,
  body: options.body,
  connections: options.connections,
  duration: options.duration,
  ...(options.overallRate ? { overallRate: options.overallRate } : {}),
  requests: [
    {
      setupRequest: (request) => {
        if (options.uniqueKey) request.headers = { ...request.headers, 'idempotency-key': randomUUID() };
        if (options.webhookSecret) {
          const delivery = signedChargeDelivery(webhook, { id: 'ch_bench', amount: 1000 });
          request.body = delivery.body;
          request.headers = { ...request.headers, ...delivery.headers };
        }
        return request;
      },
    },
  ],
});
process.stdout.write(JSON.stringify(result));

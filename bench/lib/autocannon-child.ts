/**
 * Runs autocannon in its own process (argv[2] = JSON options) and prints its
 * result as JSON. With `uniqueKey`, every request gets a fresh Idempotency-Key.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2]) as {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  connections: number;
  duration: number;
  uniqueKey: boolean;
};

const result = await autocannon({
  url: options.url,
  method: options.method as 'GET',
  headers: options.headers,
  body: options.body,
  connections: options.connections,
  duration: options.duration,
  requests: [
    {
      setupRequest: (request) => {
        if (options.uniqueKey) request.headers = { ...request.headers, 'idempotency-key': randomUUID() };
        return request;
      },
    },
  ],
});
process.stdout.write(JSON.stringify(result));

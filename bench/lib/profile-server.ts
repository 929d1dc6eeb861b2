/**
 * The server side of `npm run bench -- profile`: serves one target
 * (argv[2] = JSON options) against the bench database and prints
 * `{ url, apiKey, orderId }`. On stdin, `start` starts the V8 profiler and
 * notes the process's CPU time; `stop` writes the profile to `dir` and prints
 * `{ file, cpuUs }` (user + system CPU between the two); then it exits. So
 * the profile holds exactly the measured load — no start-up, no warm-up.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createPool } from '@steadfast/toolkit/postgres';
import { ORDER_BODY, startBareInsert, startOrdersApi } from './servers.ts';

const options = JSON.parse(process.argv[2]) as {
  databaseUrl: string;
  target: string;
  webhookSecret: string;
  dir: string;
};
const pool = createPool({ connectionString: options.databaseUrl, max: 20 });
const started =
  options.target === 'bare'
    ? { ...(await startBareInsert(pool)), apiKey: '' }
    : await startOrdersApi(pool, { webhooks: { secrets: [options.webhookSecret] } });
let orderId = '';
if (options.target === 'replay' || options.target === 'read') {
  const created = await fetch(`${started.url}/v1/orders`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${started.apiKey}`,
      'idempotency-key': 'profile-replay',
    },
    body: ORDER_BODY,
  });
  orderId = ((await created.json()) as { id: string }).id;
}
process.stdout.write(`${JSON.stringify({ url: started.url, apiKey: started.apiKey, orderId })}\n`);

const session = new Session();
session.connect();
let cpuAtStart = process.cpuUsage();
for await (const command of createInterface({ input: process.stdin })) {
  if (command === 'start') {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    cpuAtStart = process.cpuUsage();
    process.stdout.write('{}\n');
  } else if (command === 'stop') {
    const cpu = process.cpuUsage(cpuAtStart);
    const { profile } = await session.post('Profiler.stop');
    const file = path.join(options.dir, `${options.target}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    process.stdout.write(`${JSON.stringify({ file, cpuUs: cpu.user + cpu.system })}\n`);
    break;
  }
}
session.disconnect();
await started.close();
await pool.end();
process.exit(0);

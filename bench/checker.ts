/**
 * Wall time of a full `steadfast check` of the reference service (API +
 * sandbox partners, production Postgres settings), all groups including a
 * short load check. Baseline: one GET /healthz round trip. Target ≤ 60 s.
 */

import { runChecks } from '@steadfast/check';
import { createTenant } from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { startBenchDatabase } from './lib/cluster.ts';
import { report, round } from './lib/report.ts';
import { startOrdersApi, startPartners } from './lib/servers.ts';

export async function run(): Promise<void> {
  const db = await startBenchDatabase();
  const partners = await startPartners();
  const api = await startOrdersApi(db.pool, { partners: partners.urls });
  const other = await createTenant(db.pool, createIdGenerator(), { name: 'other' });
  try {
    const ping = performance.now();
    await (await fetch(`${api.url}/healthz`)).arrayBuffer();
    const baselineMs = performance.now() - ping;
    const started = performance.now();
    const result = await runChecks({
      baseUrl: api.url,
      apiKey: api.apiKey,
      otherApiKey: other.apiKey,
      seed: 1,
      load: { rps: 50, durationS: 5, p99Ms: 500 },
    });
    const wallS = (performance.now() - started) / 1000;
    for (const c of result.checks.filter((x) => x.status === 'failed'))
      console.log(`FAILED ${c.id} ${c.operation}: ${c.detail}`);
    console.log(`requests per group: ${JSON.stringify(result.requestsByGroup)}`);
    console.log(
      `${result.summary.passed} passed, ${result.summary.failed} failed, ${result.summary.skipped} skipped in ${wallS.toFixed(1)} s`,
    );
    report({
      name: 'checker',
      value: round(wallS, 2),
      baseline: round(baselineMs / 1000, 4),
      ratio: round(wallS / (baselineMs / 1000), 0),
      unit: 's (full check)',
      target: 'value <= 60 s',
      requestsByGroup: result.requestsByGroup,
      failed: result.summary.failed,
    });
  } finally {
    await api.close();
    await partners.close();
    await db.close();
  }
}

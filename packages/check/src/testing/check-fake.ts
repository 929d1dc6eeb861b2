/** Run every check against a fresh fake API with one fault (or none): the report. */
import { runChecks } from '../run.ts';
import { type Fault, startFakeApi } from './fake-api.ts';

export async function checkFake(fault?: Fault, options: { requireKey?: boolean } = {}) {
  const fake = await startFakeApi(fault);
  try {
    return await runChecks({
      baseUrl: fake.url,
      apiKey: 'tenant-a-key',
      otherApiKey: 'tenant-b-key',
      seed: 1,
      lroTimeoutMs: 1500,
      ...options,
    });
  } finally {
    await fake.close();
  }
}

/** the checks that failed, once each, sorted */
export const failedIds = (report: Awaited<ReturnType<typeof checkFake>>) =>
  [...new Set(report.checks.filter((c) => c.status === 'failed').map((c) => c.id))].sort();

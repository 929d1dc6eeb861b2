/**
 * `npm run fuzz`: the long run. Starts its own embedded Postgres (the test
 * suite's global setup), surveys every operation with FUZZ_RUNS requests
 * (default 300) from FUZZ_SEED (default: random, printed), lists every
 * distinct finding with its smallest reproducer, then shrinks one
 * counter-example per failing operation. Exit 1 on any fatal finding.
 *
 *   FUZZ_SEED=1313 FUZZ_RUNS=1000 npm run fuzz
 *   FUZZ_OPS='POST /v1/orders|pay' npm run fuzz          # only these operations
 *   FUZZ_SEED=… FUZZ_OPS=… FUZZ_PATH=… npm run fuzz       # replay one shrunk case
 */
import { globalSetup, globalTeardown } from '../test-setup.ts';
import { type FuzzContext, fuzzOperation, type OperationReport } from './fuzz-runner.ts';
import { openFuzzSession } from './fuzz-session.ts';
import { FATAL_KINDS } from './invariants.ts';
import type { FuzzOperation } from './openapi-arbitraries.ts';

const env = process.env;
const seed = env.FUZZ_SEED ? Number(env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const numRuns = Number(env.FUZZ_RUNS ?? 300);
const replayPath = env.FUZZ_PATH || undefined;
if (!Number.isInteger(seed) || !Number.isInteger(numRuns) || numRuns < 1) {
  console.error('FUZZ_SEED and FUZZ_RUNS must be integers (FUZZ_RUNS ≥ 1)');
  process.exit(2);
}

const fatalCount = (report: OperationReport) =>
  [...report.examples.values()].filter((e) => FATAL_KINDS.includes(e.finding.kind)).length;
const fiveXx = (report: OperationReport) =>
  Object.entries(report.statuses).reduce((n, [status, count]) => n + (Number(status) >= 500 ? count : 0), 0);

async function survey(ctx: FuzzContext, operations: FuzzOperation[]): Promise<OperationReport[]> {
  const reports: OperationReport[] = [];
  for (const op of operations) {
    const report = await fuzzOperation(ctx, op, { seed, numRuns, mode: 'collect', path: replayPath });
    reports.push(report);
    const statuses = Object.entries(report.statuses)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    console.log(`${op.name.padEnd(40)} ${String(report.requests).padStart(6)} requests  ${statuses}`);
  }
  return reports;
}

function printFindings(reports: OperationReport[]): void {
  for (const report of reports) {
    for (const { finding, request, answer } of report.examples.values()) {
      const fatal = FATAL_KINDS.includes(finding.kind) ? 'FINDING' : 'contract (reported only)';
      console.log(`\n[${fatal}] ${finding.kind} ${finding.status} — ${finding.operation}: ${finding.detail}`);
      console.log(`  ${request}\n  answer: ${answer}`);
    }
  }
}

async function main(): Promise<number> {
  const session = await openFuzzSession({ only: env.FUZZ_OPS });
  try {
    console.log(
      `fuzz: seed ${seed}, ${numRuns} runs per operation, ${session.operations.length} operations\n`,
    );
    const reports = await survey(session.ctx, session.operations);
    printFindings(reports);
    const requests = reports.reduce((n, r) => n + r.requests, 0);
    const failing = reports.filter((r) => fatalCount(r) > 0);
    const total5xx = reports.reduce((n, r) => n + fiveXx(r), 0);
    if (failing.length && !replayPath) {
      console.log('\nshrinking one counter-example per failing operation:');
      for (const report of failing) {
        const op = session.operations.find((o) => o.name === report.operation) as FuzzOperation;
        const shrunk = await fuzzOperation(session.ctx, op, {
          seed,
          numRuns,
          mode: 'fail',
          shrinkBudget: 400,
        });
        console.log(`\n${shrunk.failure ?? `${op.name}: the failure did not recur in the shrinking pass`}`);
      }
    }
    const distinct = reports.reduce((n, r) => n + fatalCount(r), 0);
    console.log(
      `\nfuzz: ${session.operations.length} operations × ${numRuns} runs = ${requests} requests; ` +
        `${total5xx} answered 5xx; ${distinct} distinct findings in ${failing.length} operations; seed ${seed}`,
    );
    return distinct > 0 ? 1 : 0;
  } finally {
    await session.close();
  }
}

await globalSetup();
let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(error);
} finally {
  await globalTeardown();
}
process.exit(code);

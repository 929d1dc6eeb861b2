/**
 * Mutation targets: for each block, the files Stryker mutates and the tests
 * that judge the mutants. One checked-in config per target
 * (mutation/<block>.config.json) points here through its command.
 */
export interface MutationTarget {
  /** test files, relative to the repository root */
  tests: string[];
  /** needs the embedded Postgres global setup */
  postgres: boolean;
}

export const TARGETS: Record<string, MutationTarget> = {
  resilience: { tests: ['packages/toolkit/src/resilience/*.test.ts'], postgres: false },
  concurrency: { tests: ['packages/toolkit/src/concurrency/*.test.ts'], postgres: false },
  // pure functions: their own unit tests reach every line, no HTTP test needed
  'orders-domain': { tests: ['apps/orders/src/domain/*.test.ts'], postgres: false },
  // group commit's two building blocks: the coalescer is pure, json-rows needs a database
  'postgres-batching': {
    tests: [
      'packages/toolkit/src/postgres/coalescer.test.ts',
      'packages/toolkit/src/postgres/json-rows.test.ts',
    ],
    postgres: true,
  },
  idempotency: { tests: ['packages/toolkit/src/idempotency/*.test.ts'], postgres: true },
  ids: { tests: ['packages/toolkit/src/ids/*.test.ts'], postgres: false },
  faults: { tests: ['packages/toolkit/src/faults/*.test.ts'], postgres: false },
  'load-shedding': { tests: ['packages/toolkit/src/load-shedding/*.test.ts'], postgres: false },
  problems: { tests: ['packages/toolkit/src/problems/*.test.ts'], postgres: false },
  // the rest of the toolkit's blocks: each judged by its own tests, on Postgres
  ...Object.fromEntries(
    [
      'observability',
      'versioning',
      'rate-limits',
      'auth',
      'webhooks',
      'outbox',
      'operations',
      'jobs',
      'lineage',
      'egress-history',
      'postgres',
      'testing',
    ].map((block) => [block, { tests: [`packages/toolkit/src/${block}/*.test.ts`], postgres: true }]),
  ),
};

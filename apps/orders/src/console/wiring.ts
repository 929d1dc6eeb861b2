/**
 * The console in the Orders app: the per-minute egress history this process
 * writes (one upsert per interval; every instance does the same, so the
 * charts show the deployment) and the console routes that read it.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ApiKeyVerifier, AuthFailureThrottle } from '@steadfast/toolkit/auth';
import {
  createEgressHistory,
  type EgressHistory,
  reapEgressHistory,
} from '@steadfast/toolkit/egress-history';
import type { Clock, IdGenerator } from '@steadfast/toolkit/ids';
import type { BackgroundErrors } from '@steadfast/toolkit/observability';
import type { Pool } from '@steadfast/toolkit/postgres';
import type { ProblemRegistry } from '@steadfast/toolkit/problems';
import type { DependencyClient } from '@steadfast/toolkit/resilience';
import type { ApiVersions } from '@steadfast/toolkit/versioning';
import type { FastifyInstance } from 'fastify';
import { buildTimeline } from '../lineage/timeline.ts';
import { createDependencyRows } from './dependency-rows.ts';
import { registerConsole } from './index.ts';
import { createConsoleSessions } from './sessions.ts';

export interface ConsoleOptions {
  /** default on; `false`: no /console and no history written by this process */
  enabled?: boolean;
  /** how often this process writes its minute aggregates (default 10 s) */
  historyIntervalMs?: number;
  /** this process's name in the history (default `<role>-<host>-<pid>-<random>`) */
  instanceId?: string;
  /** an open operation older than this is stuck (default 5 min) */
  stuckAfterMs?: number;
}

export const HISTORY_RETENTION_DEFAULT_S = 7 * 86_400;

/** the worker's periodic clean-up: egress history past its retention, expired console sessions */
export async function reapConsoleState(
  db: Pool,
  options: { historyRetentionS: number; now: number },
): Promise<{ history: number; sessions: number }> {
  const history = await reapEgressHistory(db, {
    olderThan: new Date(options.now - options.historyRetentionS * 1000),
  });
  const sessions = await createConsoleSessions({ db, clock: { now: () => options.now } }).reap();
  return { history, sessions };
}

/**
 * `<role>-<host>-<pid>-<random>`: the random part keeps two replicas apart that share a host name and
 * a pid (containers: pid 1), and a restarted process from the minute its predecessor wrote
 */
export function defaultInstanceId(role: string): string {
  return `${role}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function createProcessHistory(deps: {
  db: Pool;
  errors: BackgroundErrors;
  clock: Clock;
  role: string;
  options?: ConsoleOptions;
}): EgressHistory | undefined {
  if (deps.options?.enabled === false) return undefined;
  return createEgressHistory({
    db: deps.db,
    instanceId: deps.options?.instanceId ?? defaultInstanceId(deps.role),
    errors: deps.errors,
    clock: deps.clock,
    intervalMs: deps.options?.historyIntervalMs,
  });
}

export async function registerOperationsConsole(
  server: FastifyInstance,
  deps: {
    db: Pool;
    clock: Clock;
    ids: IdGenerator;
    registry: ProblemRegistry;
    verifier: ApiKeyVerifier;
    clients: readonly DependencyClient[];
    options?: ConsoleOptions;
    authFailures?: AuthFailureThrottle;
    versions?: ApiVersions;
  },
): Promise<void> {
  if (deps.options?.enabled === false) return;
  await registerConsole(server, {
    db: deps.db,
    clock: deps.clock,
    ids: deps.ids,
    registry: deps.registry,
    verifier: deps.verifier,
    authFailures: deps.authFailures,
    versions: deps.versions,
    dependencies: createDependencyRows({
      db: deps.db,
      clients: deps.clients,
      instanceId: deps.options?.instanceId ?? 'this process',
      staleAfterMs: 3 * (deps.options?.historyIntervalMs ?? 10_000),
    }),
    timeline: (query, now) => buildTimeline(deps.db, { query, now: new Date(now) }),
    stuckAfterMs: deps.options?.stuckAfterMs,
  });
}

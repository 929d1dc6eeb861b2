/**
 * The lineage recorder's test harness: a stand-in database that keeps every
 * INSERT (its table and the request ids it carries) and lets a test decide its
 * fate, a recorder wired to a log capture and its own registry, and row makers.
 */
import { Registry } from 'prom-client';
import { createLogger } from '../observability/index.ts';
import type { Queryable } from '../postgres/index.ts';
import type { EgressAttempt } from '../resilience/index.ts';
import { createLogCapture } from '../testing/index.ts';
import { createLineageRecorder, type LineageRecorderOptions } from './recorder.ts';

export type Answer = Promise<unknown> | 'fail' | undefined;
/** a stand-in database: every INSERT is kept (its table and the request ids it carries); `answer` decides its fate */
export function fakeDb(answer: (table: string, n: number) => Answer = () => undefined) {
  const statements: { table: string; ids: unknown[] }[] = [];
  const db: Queryable = {
    query: (async (text: string, values?: unknown[]) => {
      const table = /INSERT INTO (\w+)/.exec(text)?.[1] ?? text;
      statements.push({ table, ids: (values?.[1] as unknown[]) ?? [] });
      const fate = answer(table, statements.length);
      if (fate === 'fail') throw new Error(`${table} is down`);
      await fate;
      return { rows: [], rowCount: 0 };
    }) as Queryable['query'],
  };
  return { db, statements };
}

export function recorderOn(db: Queryable, options: Partial<LineageRecorderOptions> = {}) {
  const reports: { component: string; details: unknown }[] = [];
  const logs = createLogCapture();
  const registry = new Registry();
  const recorder = createLineageRecorder({
    db,
    log: createLogger({ destination: logs.stream }),
    errors: { report: (component, _error, details) => void reports.push({ component, details }) },
    registry,
    ...options,
  });
  const droppedByTable = async () =>
    (await registry.getSingleMetric('steadfast_lineage_dropped_total')?.get())?.values
      .map((v) => [v.labels.table, v.value])
      .sort();
  const warnings = () => logs.lines().filter((l) => String(l.msg).startsWith('lineage buffer full'));
  return { recorder, reports, droppedByTable, warnings };
}

export const request = (id: string) => ({
  requestId: id,
  method: 'GET',
  route: '/x',
  status: 200,
  durationMs: 1,
});
export const attempt = (id: string, extra: Partial<EgressAttempt> = {}): EgressAttempt => ({
  dependency: 'pricing',
  method: 'GET',
  route: '/prices/{sku}',
  status: 200,
  durationMs: 3,
  attempt: 1,
  outcome: 'success',
  kind: 'success',
  requestId: id,
  at: Date.now(),
  ...extra,
});
/** long enough for a scheduled write (setImmediate) and its statement */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

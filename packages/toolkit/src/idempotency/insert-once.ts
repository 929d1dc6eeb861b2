/**
 * `insertOnce`: the one-statement path. The key record (with the answer) and
 * the effect are written by one statement; a conflicting key means
 * "duplicate" and nothing is written. An effect given as a row (`row`) is
 * coalesced: concurrent requests' rows go out as ONE multi-row statement —
 * one round trip, one commit — with the same per-request outcome as alone:
 * each key is claimed on its own, duplicates inside a batch answer as
 * concurrent duplicates do (the first writes, the others replay or get 422),
 * and a batch that fails is retried request by request, so one bad row
 * cannot fail its neighbours.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BackgroundErrors } from '../observability/index.ts';
import { type Coalescer, createCoalescer, type Queryable } from '../postgres/index.ts';
import type {
  BatchCounters,
  CoalesceOptions,
  HandlerResult,
  IdempotencyContext,
  InsertOnceSpec,
} from './engine-types.ts';
import { send, toStored } from './responses.ts';
import { completedKeyCte, completedKeyValues } from './store.ts';
import { batchText, checkRowShape, insertKeyedRows, type KeyedRow, rowEffectText } from './store-batch.ts';

type Answer = FastifyReply | 'retry' | 'wait' | 'take-over';
type Statement = { name: string; text: string; values: unknown[] };

export interface InsertOnceDeps {
  db: Queryable;
  retentionS: number;
  maxStoredBytes: number;
  coalesce: CoalesceOptions | false;
  errors: BackgroundErrors;
  batches?: BatchCounters;
  storedView(request: FastifyRequest, result: HandlerResult): HandlerResult;
  answerExisting(ctx: IdempotencyContext, reply: FastifyReply, deadline: number): Promise<Answer>;
  replayIfCompleted(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  counted(outcome: 'executed'): void;
  waitMs: number;
}

/** a row effect's table and typed columns: what its statement text is built from */
const shapeOf = (row: KeyedRow['row']) => `${row.table}(${row.columns.map((c) => c.join(' ')).join(', ')})`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const scopeId = (r: KeyedRow) =>
  JSON.stringify([r.scope.tenantId, r.scope.method, r.scope.route, r.scope.key]);

export function createInsertOnce(deps: InsertOnceDeps) {
  const { db } = deps;
  const writers = new Map<
    string,
    {
      shape: string;
      columns: KeyedRow['row']['columns'];
      table: string;
      writer: Coalescer<KeyedRow, boolean>;
    }
  >();

  /** the key record and the effect in one statement, for one request: true when the key was new */
  async function insertWithKey(
    effect: Statement,
    ctx: IdempotencyContext,
    stored: KeyedRow['stored'],
  ): Promise<boolean> {
    const { rowCount } = await db.query({
      name: `${effect.name}.idempotent`,
      text: `WITH ${completedKeyCte(effect.values.length)} ${effect.text}`,
      values: [...effect.values, ...completedKeyValues(ctx.scope, ctx.fingerprint, stored, deps.retentionS)],
    });
    return rowCount === 1;
  }

  const insertAlone = (r: KeyedRow) => insertWithKey(rowEffectText(r.row), r, r.stored);

  function writerFor(row: KeyedRow['row']): Coalescer<KeyedRow, boolean> {
    const known = writers.get(row.name);
    // the same columns array as last time (a constant, usually): the same shape, nothing to compare
    if (known && known.columns === row.columns && known.table === row.table) return known.writer;
    const shape = shapeOf(row);
    if (known) {
      // the statement (and its cached text) belongs to the name: another shape under it is a bug
      if (known.shape !== shape)
        throw new Error(`insertOnce: row effect ${row.name} was used with another shape`);
      return known.writer;
    }
    checkRowShape(row);
    const text = batchText(row);
    const writer: Coalescer<KeyedRow, boolean> = createCoalescer<KeyedRow, boolean>({
      ...(deps.coalesce || {}),
      runOne: insertAlone,
      run: (items) => insertKeyedRows(db, text, items),
      // a key twice in one batch: the first one is written, the others are its duplicates
      distinct: { keyOf: scopeId, duplicate: false },
      onBatch: (size) => {
        deps.batches?.statements.inc({ statement: row.name });
        deps.batches?.rows.inc({ statement: row.name }, size);
      },
      onBatchFailure: (error, size) =>
        deps.errors.report('idempotency-batch', error, { statement: row.name, size }),
    });
    writers.set(row.name, { shape, columns: row.columns, table: row.table, writer });
    return writer;
  }

  /** the effect as one statement: the given one, or the row's single-request form */
  function statementOf(spec: InsertOnceSpec): Statement {
    const effect = spec.row ? rowEffectText(spec.row) : spec.effect;
    if (!effect) throw new Error('insertOnce: give an effect (statement) or a row');
    return effect;
  }

  return async function insertOnce(
    request: FastifyRequest,
    reply: FastifyReply,
    specOrPrepare: InsertOnceSpec | (() => Promise<InsertOnceSpec>),
  ): Promise<FastifyReply> {
    const ctx = request.idempotency;
    let spec: InsertOnceSpec;
    if (typeof specOrPrepare === 'function') {
      // a stored answer is replayed before the effect is prepared: no partner is called for a retry
      // (a boolean, not the reply: a FastifyReply is thenable, and awaiting it would wait for the send)
      if (await deps.replayIfCompleted(request, reply)) return reply;
      try {
        spec = await specOrPrepare();
      } catch (error) {
        // preparing failed (a partner is down), but a first request with this key may have completed
        // meanwhile: its retry still gets the stored answer
        if (await deps.replayIfCompleted(request, reply)) return reply;
        throw error;
      }
    } else spec = specOrPrepare;
    const { result, onExecuted } = spec;
    const { stored, bytes } = toStored(deps.storedView(request, result), deps.maxStoredBytes);
    if (!ctx) {
      const effect = statementOf(spec);
      await db.query({
        name: `${effect.name}.plain`,
        text: `WITH claimed AS (SELECT 1) ${effect.text}`,
        values: effect.values,
      });
      onExecuted?.();
      return send(reply, result, bytes);
    }
    const deadline = Date.now() + deps.waitMs;
    const keyed: KeyedRow | undefined = spec.row && {
      scope: ctx.scope,
      fingerprint: ctx.fingerprint,
      stored,
      retentionS: deps.retentionS,
      row: spec.row,
    };
    const effect = keyed ? undefined : statementOf(spec);
    for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
      const inserted = keyed
        ? await (deps.coalesce === false ? insertAlone(keyed) : writerFor(keyed.row).add(keyed))
        : await insertWithKey(effect as Statement, ctx, stored);
      if (inserted) {
        deps.counted('executed');
        onExecuted?.();
        return send(reply, result, bytes);
      }
      const answer = await deps.answerExisting(ctx, reply, deadline);
      if (answer === 'wait') await sleep(pause);
      else if (answer !== 'retry' && answer !== 'take-over') return answer;
    }
  };
}

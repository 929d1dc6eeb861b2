/** The dead-letter pages and actions: list, inspect, replay, discard, bulk replay with a count and a confirmation. */
import type { Clock } from '@steadfast/toolkit/ids';
import { findDeadLetter, listDeadLetters } from '@steadfast/toolkit/jobs';
import { ALL_TENANTS, type Pool, withTransaction } from '@steadfast/toolkit/postgres';
import { ProblemError } from '@steadfast/toolkit/problems';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BULK_REPLAY_MAX, type DeadLetterActions } from '../admin/dead-letter-actions.ts';
import { consoleActor, type Form, ROUTE_OPTIONS, renderPage, sessionOf } from './context.ts';
import { bulkConfirmBody, deadLetterBody, deadLettersBody } from './page-dead-letters.ts';

const DEAD_LETTER_ID = /^dl_[A-Za-z0-9]{1,60}$/;
const TASK = /^[a-z-]{1,60}$/;

export function registerDeadLetterPages(
  scope: FastifyInstance,
  deps: { db: Pool; clock: Clock; actions: DeadLetterActions },
): void {
  const { actions } = deps;
  scope.get('/console/dead-letters', ROUTE_OPTIONS, async (request, reply) => {
    const q = request.query as Form;
    const task = q.task && TASK.test(q.task) ? q.task : undefined;
    const status = q.status && ['dead', 'replayed', 'discarded'].includes(q.status) ? q.status : undefined;
    const before = q.cursor && DEAD_LETTER_ID.test(q.cursor) ? q.cursor : undefined;
    const limit = 50;
    const rows = await listDeadLetters(deps.db, {
      tenantId: ALL_TENANTS,
      task,
      status,
      limit,
      beforeId: before,
    });
    const letters = rows.slice(0, limit);
    const { rows: tasks } = await deps.db.query<{ task: string }>(
      'SELECT DISTINCT task FROM dead_letters ORDER BY task',
    );
    const since = new Date(deps.clock.now() - 86_400_000).toISOString().slice(0, 16);
    return renderPage(
      request,
      reply,
      'dead-letters',
      'Dead letters',
      deadLettersBody({
        letters,
        tasks: tasks.map((t) => t.task),
        filter: { task, status },
        csrf: sessionOf(request).csrfToken,
        nextCursor: rows.length > limit ? (letters.at(-1)?.id ?? null) : null,
        defaultSince: since,
      }),
    );
  });
  scope.get('/console/dead-letters/:id', ROUTE_OPTIONS, async (request, reply) => {
    const { id } = request.params as { id: string };
    const letter = DEAD_LETTER_ID.test(id) ? await findDeadLetter(deps.db, id, ALL_TENANTS) : undefined;
    if (!letter)
      return reply
        .code(303)
        .header('location', `/console/dead-letters?error=not-found&id=${encodeURIComponent(id.slice(0, 80))}`)
        .send();
    return renderPage(
      request,
      reply,
      'dead-letters',
      `Dead letter ${id}`,
      deadLetterBody(letter, sessionOf(request).csrfToken),
    );
  });
  const act = async (
    request: FastifyRequest,
    reply: FastifyReply,
    run: (id: string) => Promise<unknown>,
    done: string,
  ) => {
    const { id } = request.params as { id: string };
    const back = (query: string) =>
      reply
        .code(303)
        .header('location', `/console/dead-letters?${query}&id=${encodeURIComponent(id.slice(0, 80))}`)
        .send();
    if (!DEAD_LETTER_ID.test(id)) return back('error=not-found');
    try {
      await run(id);
    } catch (error) {
      if (error instanceof ProblemError && error.slug === 'not-found') return back('error=not-found');
      if (error instanceof ProblemError && error.slug === 'dead-letter-closed') return back('error=closed');
      throw error;
    }
    return back(`done=${done}`);
  };
  scope.post('/console/dead-letters/:id/replay', ROUTE_OPTIONS, async (request, reply) =>
    act(
      request,
      reply,
      (id) => withTransaction(deps.db, (tx) => actions.replay(tx, id, ALL_TENANTS, consoleActor(request))),
      'replayed',
    ),
  );
  scope.post('/console/dead-letters/:id/discard', ROUTE_OPTIONS, async (request, reply) => {
    const reason = ((request.body as Form | undefined)?.reason ?? '').trim().slice(0, 500);
    if (!reason) {
      const { id } = request.params as { id: string };
      return reply
        .code(303)
        .header(
          'location',
          `/console/dead-letters?error=reason-needed&id=${encodeURIComponent(id.slice(0, 80))}`,
        )
        .send();
    }
    return act(
      request,
      reply,
      (id) =>
        withTransaction(deps.db, (tx) => actions.discard(tx, id, ALL_TENANTS, reason, consoleActor(request))),
      'discarded',
    );
  });
  scope.post('/console/dead-letters/bulk-replay', ROUTE_OPTIONS, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const task = form.task && TASK.test(form.task) ? form.task : undefined;
    const sinceText = form.since ?? '';
    const since = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(sinceText)
      ? new Date(`${sinceText}Z`)
      : undefined;
    if (!task || !since || Number.isNaN(since.getTime()))
      return reply.code(303).header('location', '/console/dead-letters?error=invalid').send();
    if (form.confirm !== 'yes') {
      // the count is of what failed up to now: the confirmed replay takes exactly those, not later ones
      const until = new Date(deps.clock.now());
      const count = await actions.countBulk(deps.db, { task, since, until });
      if (count === 0)
        return reply.code(303).header('location', `/console/dead-letters?error=nothing&task=${task}`).send();
      return renderPage(
        request,
        reply,
        'dead-letters',
        'Confirm bulk replay',
        bulkConfirmBody({
          task,
          since: sinceText,
          until: until.toISOString(),
          count,
          csrf: sessionOf(request).csrfToken,
          max: BULK_REPLAY_MAX,
        }),
      );
    }
    const until = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(form.until ?? '')
      ? new Date(form.until as string)
      : undefined;
    if (!until || Number.isNaN(until.getTime()))
      return reply.code(303).header('location', '/console/dead-letters?error=invalid').send();
    const replayed = await withTransaction(deps.db, (tx) =>
      actions.replayBulk(tx, { task, since, until }, consoleActor(request)),
    );
    if (replayed.length === 0)
      return reply.code(303).header('location', `/console/dead-letters?error=nothing&task=${task}`).send();
    return reply
      .code(303)
      .header('location', `/console/dead-letters?done=bulk&id=${replayed.length}&task=${task}`)
      .send();
  });
}

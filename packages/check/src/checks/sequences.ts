/**
 * Stateful sequences on each resource the API creates, chained by OpenAPI
 * `links`, `Location` and the created id: sequence.available-after-create
 * (the new resource reads back at once, where `Location` says),
 * sequence.lifecycle (create → read → update → actions → cancel/delete, each
 * step accepted and visible in the resource), sequence.use-after-free (after
 * delete/cancel the resource answers 404/409/410/422 to the steps that
 * changed it: never 2xx with stale data, never 5xx).
 */
import { randomUUID } from 'node:crypto';
import type { Exchange } from '../client.ts';
import { type CheckContext, reporterFor } from '../context.ts';
import { meterFor } from '../effects.ts';
import { actionsOf, createResource, knownPrelude, NotApplicable, requestOn } from '../requests.ts';
import type { Operation } from '../spec.ts';

const ENDS = /(^|\/)(cancel|delete|archive|close|void|revoke|deactivate)$/i;

export async function runSequenceChecks(ctx: CheckContext): Promise<void> {
  for (const creator of ctx.operations.filter(
    (o) => o.method === 'POST' && o.pathParams.length === 0 && o.body,
  )) {
    const collection = creator.path;
    const read = ctx.operations.find(
      (o) =>
        o.method === 'GET' &&
        o.path.startsWith(`${collection}/{`) &&
        o.path.endsWith('}') &&
        o.pathParams.length === 1,
    );
    if (!read) continue;
    const report = reporterFor(ctx, 'sequence', `${collection}`);
    // available after create: the id (or Location) reads back at once
    const created = await ctx.client.send({
      method: 'POST',
      path: collection,
      headers: {
        'idempotency-key': randomUUID(),
        'content-type': creator.body?.contentType ?? 'application/json',
      },
      body: JSON.stringify(ctx.validSample(creator.body?.schema ?? {})),
    });
    if (created.status >= 300) {
      report('available-after-create', 'skipped', `creating answered ${created.status}`, [created.exchange]);
      continue;
    }
    const id = String(
      (created.json as { id?: unknown } | undefined)?.id ?? created.headers.location?.split('/').pop(),
    );
    const location = created.headers.location;
    const readPath = location
      ? new URL(location, 'http://x').pathname
      : read.path.replace(/\{[^}]+\}/, encodeURIComponent(id));
    const readBack = await ctx.client.send({ method: 'GET', path: readPath });
    const same = (readBack.json as { id?: unknown } | undefined)?.id;
    const available = readBack.status === 200 && (same === undefined || String(same) === id);
    report(
      'available-after-create',
      available ? 'passed' : 'failed',
      available
        ? `${readPath} reads back at once`
        : `${readPath} answered ${readBack.status} right after the create`,
      [created.exchange, readBack.exchange],
    );
    await lifecycle(ctx, creator, read, report);
  }
}

/** links of the create's success response name the actions, in order; else the document order */
function chainFor(ctx: CheckContext, creator: Operation, actions: Operation[]): Operation[] {
  const linked = Object.values(creator.links)
    .flatMap((l) => Object.values(l))
    .map((link) => actions.find((a) => a.operationId && a.operationId === link.operationId))
    .filter((a): a is Operation => Boolean(a));
  const ordered = [...new Set([...linked, ...actions])];
  // the longest known prelude plus its action is a path through the states
  const longest = ordered.map((a) => [...knownPrelude(ctx, a), a.id]).sort((x, y) => y.length - x.length)[0];
  return (longest ?? [])
    .map((id) => ordered.find((a) => a.id === id))
    .filter((a): a is Operation => Boolean(a) && !ENDS.test(a!.path));
}

async function lifecycle(
  ctx: CheckContext,
  creator: Operation,
  read: Operation,
  report: ReturnType<typeof reporterFor>,
): Promise<void> {
  const actions = actionsOf(ctx, read);
  const update = ctx.operations.find(
    (o) => (o.method === 'PATCH' || o.method === 'PUT') && o.path === read.path,
  );
  const remove = ctx.operations.find((o) => o.method === 'DELETE' && o.path === read.path);
  const end = remove ?? actions.find((a) => ENDS.test(a.path));
  const chain = chainFor(ctx, creator, actions);
  // the end (cancel/delete) may not be allowed in every state: drop chain steps from the back until it is
  let id = '';
  let done: Operation[] = [];
  let evidence: Exchange[] = [];
  for (let k = chain.length; k >= 0; k--) {
    try {
      id = await createResource(ctx, creator.path, true);
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
      return report('lifecycle', 'skipped', error.message);
    }
    evidence = [];
    done = [];
    const steps = [...(update ? [update] : []), ...chain.slice(0, k), ...(end ? [end] : [])];
    let refusedEnd = false;
    for (const step of steps) {
      const request = await buildRequestOn(ctx, step, id);
      const meter = await meterFor(ctx, step, request);
      const before = await meter?.take();
      const answer = await ctx.client.send(request);
      evidence.push(answer.exchange);
      const moved = meter ? meter.effects(before, await meter.take()) : 1;
      if (step === end && answer.status === 409 && k > 0) {
        refusedEnd = true;
        break;
      }
      if (answer.status >= 300 || (step !== remove && moved === 0))
        return report(
          'lifecycle',
          'failed',
          `${[...done.map((d) => d.id), step.id].join(' → ')}: ${step.id} answered ${answer.status}${answer.status < 300 ? ' but changed nothing' : ''}`,
          evidence,
        );
      done.push(step);
    }
    if (!refusedEnd) break;
  }
  if (end) done = done.filter((d) => d !== end);
  report(
    'lifecycle',
    'passed',
    `create → read → ${[...done, ...(end ? [end] : [])].map((d) => d.id).join(' → ')}: each accepted and visible`,
    evidence.slice(-2),
  );
  if (!end) return report('use-after-free', 'skipped', `no DELETE ${read.path} nor a cancel-like action`);
  const gone = await ctx.client.send({
    method: 'GET',
    path: read.path.replace(/\{[^}]+\}/, encodeURIComponent(id)),
  });
  const stale: Exchange[] = [];
  if (remove ? gone.status !== 404 && gone.status !== 410 : gone.status >= 500) stale.push(gone.exchange);
  for (const step of done) {
    const request = await buildRequestOn(ctx, step, id);
    const answer = await ctx.client.send(request);
    ctx.seen.push({ operation: step.id, response: answer });
    if (![404, 409, 410, 412, 422].includes(answer.status)) stale.push(answer.exchange);
  }
  report(
    'use-after-free',
    stale.length ? 'failed' : 'passed',
    stale.length
      ? `after ${end.id}: ${stale.map((e) => `${e.request.method} ${new URL(e.request.url).pathname} → ${'status' in e.response ? e.response.status : e.response.error}`).join('; ')} (404/409/410/422 expected)`
      : `after ${end.id}, ${done.map((d) => d.id).join(', ') || 'reads'} answered 404/409/410/422`,
    stale.length ? stale : [gone.exchange],
  );
}

async function buildRequestOn(ctx: CheckContext, op: Operation, id: string) {
  return withEtag(ctx, op, requestOn(ctx, op, id));
}

async function withEtag(ctx: CheckContext, op: Operation, request: ReturnType<typeof requestOn>) {
  if (!op.requiredHeaders.includes('if-match')) return request;
  const path = op.path.endsWith('}') ? request.path : request.path.split('/').slice(0, -1).join('/');
  const current = await ctx.client.send({ method: 'GET', path });
  return { ...request, headers: { ...request.headers, 'if-match': current.headers.etag ?? '*' } };
}

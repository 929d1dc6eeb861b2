/**
 * contract.server-error — no 5xx for valid or invalid generated inputs;
 * contract.response-schema — documented status, content type and schema;
 * contract.negative-input — schema-invalid bodies are refused with 4xx and create nothing.
 */
import type { Response } from '../client.ts';
import { type CheckContext, conformance } from '../context.ts';
import { buildRequest, collectionOf, countCollection, NotApplicable, requestOn } from '../requests.ts';
import type { Operation, Schema } from '../spec.ts';

/** Targeted invalid variants of a valid object body. */
export function invalidVariants(schema: Schema, valid: unknown): { kind: string; body: unknown }[] {
  if (!valid || typeof valid !== 'object' || Array.isArray(valid))
    return [{ kind: 'wrong type (array for object)', body: [valid] }];
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const out: { kind: string; body: unknown }[] = [];
  const required = (schema.required as string[] | undefined) ?? [];
  if (required[0]) {
    const { [required[0]]: _gone, ...rest } = valid as Record<string, unknown>;
    out.push({ kind: `missing required ${required[0]}`, body: rest });
  }
  const typed = Object.entries(props).find(([, p]) => typeof p.type === 'string');
  if (typed)
    out.push({
      kind: `wrong type for ${typed[0]}`,
      body: { ...valid, [typed[0]]: typed[1].type === 'string' ? 12345 : 'not-a-number' },
    });
  const ranged = Object.entries(props).find(
    ([, p]) => typeof p.minimum === 'number' || typeof p.maxLength === 'number',
  );
  if (ranged) {
    const [name, p] = ranged;
    out.push({
      kind: `out of range ${name}`,
      body: {
        ...valid,
        [name]:
          typeof p.minimum === 'number' ? (p.minimum as number) - 1 : 'x'.repeat((p.maxLength as number) + 1),
      },
    });
  }
  if (schema.additionalProperties === false)
    out.push({ kind: 'unknown field', body: { ...valid, unexpectedField: true } });
  return out;
}

export async function runContractChecks(ctx: CheckContext): Promise<void> {
  for (const op of ctx.operations) {
    const issues: { detail: string; response: Response }[] = [];
    const fiveHundreds: Response[] = [];
    let request: Awaited<ReturnType<typeof buildRequest>>;
    let note = '';
    try {
      request = await buildRequest(ctx, op);
    } catch (error) {
      if (!(error instanceof NotApplicable) || op.pathParams.length !== 1) {
        if (!(error instanceof NotApplicable)) throw error;
        for (const id of ['contract.server-error', 'contract.response-schema'])
          ctx.report({ id, group: 'contract', operation: op.id, status: 'skipped', detail: error.message });
        continue;
      }
      // nothing to act on: the answer for an unknown id (a documented 404) is still a contract
      request = requestOn(ctx, op, `unknown-${ctx.seed}`);
      note = ` (${error.message}: checked with an unknown id)`;
    }
    const observe = (response: Response) => {
      ctx.seen.push({ operation: op.id, response });
      if (response.status >= 500) fiveHundreds.push(response);
      const problem = conformance(ctx, op, response);
      if (problem) issues.push({ detail: problem, response });
    };
    observe(await ctx.client.send(request));
    await negativeInputs(ctx, op, request, observe);
    ctx.report({
      id: 'contract.server-error',
      group: 'contract',
      operation: op.id,
      status: fiveHundreds.length ? 'failed' : 'passed',
      detail: fiveHundreds.length ? `${fiveHundreds.length} answer(s) were 5xx${note}` : `no 5xx${note}`,
      evidence: fiveHundreds.map((r) => r.exchange),
    });
    ctx.report({
      id: 'contract.response-schema',
      group: 'contract',
      operation: op.id,
      status: issues.length ? 'failed' : 'passed',
      detail: issues.length
        ? issues.map((i) => i.detail).join('; ')
        : `every answer was documented and valid${note}`,
      evidence: issues.map((i) => i.response.exchange),
    });
  }
}

async function negativeInputs(
  ctx: CheckContext,
  op: Operation,
  request: Awaited<ReturnType<typeof buildRequest>>,
  observe: (r: Response) => void,
): Promise<void> {
  if (!op.body || request.body === undefined) {
    await invalidQueries(ctx, op, request, observe);
    return;
  }
  const countable = op.method === 'POST' && op.pathParams.length === 0 ? collectionOf(op) : undefined;
  const before = countable ? await countCollection(ctx, countable) : undefined;
  const accepted: Response[] = [];
  const bodies = [
    ...invalidVariants(op.body.schema, JSON.parse(request.body)).map((v) => JSON.stringify(v.body)),
    '{"truncated": ', // not JSON at all
  ];
  for (const body of bodies) {
    const response = await ctx.client.send({
      ...request,
      headers: { ...request.headers, 'idempotency-key': `neg-${ctx.nextSeed()}-${Date.now()}` },
      body,
    });
    observe(response);
    if (response.status < 400 || response.status >= 500) accepted.push(response);
  }
  const after = countable && before !== undefined ? await countCollection(ctx, countable) : undefined;
  const created = before !== undefined && after !== undefined ? after - before : 0;
  const failed = accepted.length > 0 || created > 0;
  ctx.report({
    id: 'contract.negative-input',
    group: 'contract',
    operation: op.id,
    status: failed ? 'failed' : 'passed',
    detail: failed
      ? `${accepted.length} invalid request(s) not refused with 4xx; ${created} item(s) created`
      : 'invalid bodies were refused with 4xx and created nothing',
    evidence: accepted.map((r) => r.exchange),
  });
}

/** Query parameters with a type, an enum or a range, given a value outside it. */
export function invalidQueryValues(op: Operation): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const q of op.query) {
    const schema = q.schema;
    if (Array.isArray(schema.enum)) out.push({ name: q.name, value: 'not-one-of-the-enum' });
    else if (schema.type === 'integer' || schema.type === 'number')
      out.push({
        name: q.name,
        value: typeof schema.minimum === 'number' ? String(schema.minimum - 1) : 'not-a-number',
      });
  }
  return out;
}

/** an operation without a JSON body: its typed query parameters are the inputs to refuse (none: not applicable) */
async function invalidQueries(
  ctx: CheckContext,
  op: Operation,
  request: Awaited<ReturnType<typeof buildRequest>>,
  observe: (r: Response) => void,
): Promise<void> {
  const variants = invalidQueryValues(op);
  if (!variants.length) return;
  const accepted: Response[] = [];
  for (const { name, value } of variants) {
    const url = new URL(request.path, 'http://x');
    url.searchParams.set(name, value);
    const response = await ctx.client.send({ ...request, path: `${url.pathname}${url.search}` });
    observe(response);
    if (response.status < 400 || response.status >= 500) accepted.push(response);
  }
  ctx.report({
    id: 'contract.negative-input',
    group: 'contract',
    operation: op.id,
    status: accepted.length ? 'failed' : 'passed',
    detail: accepted.length
      ? `${accepted.length} invalid query value(s) not refused with 4xx`
      : `invalid query values (${variants.map((v) => v.name).join(', ')}) were refused with 4xx`,
    evidence: accepted.map((r) => r.exchange),
  });
}

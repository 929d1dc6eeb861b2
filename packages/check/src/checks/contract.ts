/**
 * contract.server-error — no 5xx for valid or invalid generated inputs;
 * contract.response-schema — documented status, content type and schema;
 * contract.negative-input — schema-invalid bodies are refused with 4xx and create nothing.
 */
import type { Response } from '../client.ts';
import { type CheckContext, conformance } from '../context.ts';
import { buildRequest, collectionOf, countCollection, NotApplicable } from '../requests.ts';
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
    try {
      request = await buildRequest(ctx, op);
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
      for (const id of ['contract.server-error', 'contract.response-schema', 'contract.negative-input']) {
        ctx.report({ id, group: 'contract', operation: op.id, status: 'skipped', detail: error.message });
      }
      continue;
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
      detail: fiveHundreds.length ? `${fiveHundreds.length} answer(s) were 5xx` : 'no 5xx',
      evidence: fiveHundreds.map((r) => r.exchange),
    });
    ctx.report({
      id: 'contract.response-schema',
      group: 'contract',
      operation: op.id,
      status: issues.length ? 'failed' : 'passed',
      detail: issues.length
        ? issues.map((i) => i.detail).join('; ')
        : 'every answer was documented and valid',
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
    ctx.report({
      id: 'contract.negative-input',
      group: 'contract',
      operation: op.id,
      status: 'skipped',
      detail: 'no JSON request body',
    });
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

/** What every check group gets: the client, the operations, generators, resources, effects, and where results go. */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { generateSync } from 'json-schema-faker';
import type { Client, Exchange, Response } from './client.ts';
import type { Operation, Schema } from './spec.ts';

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  id: string;
  group: string;
  operation: string;
  status: CheckStatus;
  detail: string;
  evidence: Exchange[];
}

export interface CheckContext {
  client: Client;
  operations: Operation[];
  seed: number;
  otherApiKey?: string;
  results: CheckResult[];
  /** responses seen per operation, for the problem-format check */
  seen: { operation: string; response: Response }[];
  report(result: Omit<CheckResult, 'evidence'> & { evidence?: Exchange[] }): void;
  nextSeed(): number;
  validSample(schema: Schema): unknown;
  validator(schema: Schema): (value: unknown) => string | undefined;
}

export function createContext(
  client: Client,
  operations: Operation[],
  seed: number,
  otherApiKey?: string,
): CheckContext {
  const ajv = new Ajv.default({ strict: false, allErrors: false, validateFormats: true });
  addFormats.default(ajv);
  const compiled = new Map<Schema, (value: unknown) => string | undefined>();
  let counter = seed;
  const context: CheckContext = {
    client,
    operations,
    seed,
    otherApiKey,
    results: [],
    seen: [],
    report: (r) => context.results.push({ ...r, evidence: r.evidence ?? [] }),
    nextSeed: () => counter++,
    validSample(schema) {
      try {
        return generateSync(schema as never, { seed: context.nextSeed() });
      } catch {
        // e.g. minProperties with only optional properties: ask for all of them
        const properties = (schema.properties ?? {}) as Record<string, unknown>;
        return generateSync({ ...schema, required: Object.keys(properties) } as never, {
          seed: context.nextSeed(),
        });
      }
    },
    validator(schema) {
      let fn = compiled.get(schema);
      if (!fn) {
        const validate = ajv.compile(schema);
        fn = (value) => (validate(value) ? undefined : ajv.errorsText(validate.errors));
        compiled.set(schema, fn);
      }
      return fn;
    },
  };
  return context;
}

/** Is the response documented (status or default), with its content type, and valid against its schema? */
export function conformance(ctx: CheckContext, op: Operation, response: Response): string | undefined {
  const documented =
    op.responses[String(response.status)] ??
    op.responses[`${String(response.status)[0]}XX`] ??
    op.responses.default;
  if (
    !(String(response.status) in op.responses) &&
    !op.responses.default &&
    !op.responses[`${String(response.status)[0]}XX`]
  ) {
    return `status ${response.status} is not documented`;
  }
  if (!documented || response.body === '') return undefined;
  const type = (response.headers['content-type'] ?? '').split(';')[0].trim();
  if (!(type in documented))
    return `content type ${type || '(none)'} is not documented for ${response.status}`;
  const schema = documented[type];
  if (!schema || !type.includes('json')) return undefined;
  if (response.json === undefined) return `the ${response.status} body is not JSON`;
  const error = ctx.validator(schema)(response.json);
  return error ? `the ${response.status} body does not match its schema: ${error}` : undefined;
}

/** `report(id, status, detail, evidence)` for one group and operation. */
export function reporterFor(ctx: CheckContext, group: string, operation: string) {
  return (id: string, status: CheckStatus, detail: string, evidence: Exchange[] = []) =>
    ctx.report({ id: `${group}.${id}`, group, operation, status, detail, evidence });
}

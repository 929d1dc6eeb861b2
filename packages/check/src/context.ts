/** What every check group gets: the client, the operations, generators, resources, effects, and where results go. */
import { generateSync } from 'json-schema-faker';
import type { Client, Exchange, Response } from './client.ts';
import type { OpenApiValidator } from './openapi-validator.ts';
import type { Operation, Schema } from './spec.ts';

/** a warning is a departure from a SHOULD (e.g. the IETF draft's): shown, never a failure */
export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'warning';

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
  /** a sample with only the required members: for a body whose optional members broke a rule the schema cannot say (a date that must be in the future) */
  requiredSample(schema: Schema): unknown;
  /** the document's response validator */
  openapi: OpenApiValidator;
  /** paths named by `Location` headers of the target's answers, in order */
  locations: string[];
  /** run options the checks read */
  options: ContextOptions;
}

export interface ContextOptions {
  /** "key not required" is a failure, not a warning */
  requireKey?: boolean;
  /** how long a long-running operation may take to reach a terminal state */
  lroTimeoutMs?: number;
  /** called after every reported check (progress) */
  onReport?: (result: CheckResult) => void;
}

export function createContext(
  client: Client,
  operations: Operation[],
  openapi: OpenApiValidator,
  seed: number,
  otherApiKey?: string,
  options: ContextOptions = {},
): CheckContext {
  let counter = seed;
  const context: CheckContext = {
    client,
    operations,
    openapi,
    seed,
    otherApiKey,
    results: [],
    seen: [],
    locations: [],
    options,
    report: (r) => {
      const result = { ...r, evidence: r.evidence ?? [] };
      context.results.push(result);
      options.onReport?.(result);
    },
    nextSeed: () => counter++,
    requiredSample(schema) {
      try {
        return generateSync(schema as never, { seed: context.nextSeed(), optionalsProbability: 0 });
      } catch {
        return context.validSample(schema);
      }
    },
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
  };
  return context;
}

/** Is the response documented (status, `2XX` range or default), with its content type, and valid against its schema? */
export function conformance(ctx: CheckContext, op: Operation, response: Response): string | undefined {
  const violation = ctx.openapi.validateResponse({
    method: op.method,
    path: op.path,
    status: response.status,
    contentType: response.headers['content-type'],
    body: response.body,
  });
  return violation ? `→ ${violation.status}: ${violation.message}` : undefined;
}

/** `report(id, status, detail, evidence)` for one group and operation. */
export function reporterFor(ctx: CheckContext, group: string, operation: string) {
  return (id: string, status: CheckStatus, detail: string, evidence: Exchange[] = []) =>
    ctx.report({ id: `${group}.${id}`, group, operation, status, detail, evidence });
}

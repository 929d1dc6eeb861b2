/** What every check group gets: the client, the operations, generators, resources, effects, and where results go. */
import { generateSync } from 'json-schema-faker';
import type { Client, Exchange, Response } from './client.ts';
import type { OpenApiValidator } from './openapi-validator.ts';
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
  /** the document's response validator */
  openapi: OpenApiValidator;
}

export function createContext(
  client: Client,
  operations: Operation[],
  openapi: OpenApiValidator,
  seed: number,
  otherApiKey?: string,
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

/** One fuzz session: the target app, its OpenAPI document's operations, the contract checker, the registry's slugs. */
import { createContractChecker } from '@steadfast/toolkit/testing';
import type { FuzzContext } from './fuzz-runner.ts';
import { createFuzzTarget } from './fuzz-target.ts';
import { type FuzzOperation, type OpenApiDocument, operationsOf } from './openapi-arbitraries.ts';

export interface FuzzSession {
  ctx: FuzzContext;
  /** every operation of the document (filtered by `only`) */
  operations: FuzzOperation[];
  close(): Promise<void>;
}

/** `only`: '|'-separated parts of operation names, e.g. `POST /v1/orders|pay` (FUZZ_OPS). */
export async function openFuzzSession(options: { only?: string } = {}): Promise<FuzzSession> {
  const target = await createFuzzTarget();
  const doc = (
    await target.app.server.inject({ method: 'GET', url: '/openapi.json' })
  ).json() as OpenApiDocument;
  const checker = await createContractChecker(doc);
  const registered = new Set(target.app.built.registry.all().map((type) => type.slug));
  const parts = options.only?.split('|').filter(Boolean) ?? [];
  const operations = operationsOf(doc).filter(
    (op) => parts.length === 0 || parts.some((part) => op.name.includes(part)),
  );
  return { ctx: { target, checker, registered }, operations, close: () => target.close() };
}

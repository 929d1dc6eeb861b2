/** `steadfast-check diff`: the breaking-change gate between two OpenAPI documents (see docs/checker.md). */

export { formatChanges, runDiffCommand } from './command.ts';
export type { ApiChange, ApiDiff } from './document.ts';
export { diffOpenApi } from './document.ts';
export { OPERATION_RULES, SCHEMA_RULES } from './rules.ts';

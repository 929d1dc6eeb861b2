/** Turn Ajv errors (as Fastify reports them) into `{ pointer, message, in }` issues. */
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import type { ValidationIssue } from './problem-error.ts';

const PARTS: Record<string, ValidationIssue['in']> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function validationIssues(
  errors: FastifySchemaValidationError[],
  context: string | undefined,
): ValidationIssue[] {
  const where = PARTS[context ?? 'body'] ?? 'body';
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    const params = (error.params ?? {}) as Record<string, unknown>;
    let pointer = error.instancePath ?? '';
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
      pointer = `${pointer}/${escapePointer(params.missingProperty)}`;
      message = 'is required';
    } else if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      pointer = `${pointer}/${escapePointer(params.additionalProperty)}`;
      message = 'is not a known field';
    } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      message = `must be one of ${params.allowedValues.join(', ')}`;
    }
    const key = `${pointer}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ pointer, message, in: where });
    if (issues.length >= 50) break;
  }
  return issues;
}

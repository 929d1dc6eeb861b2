/** Build the application/problem+json body of a registered problem type. */

import type { ValidationIssue } from './problem-error.ts';
import type { ProblemRegistry, ProblemType } from './registry.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  category: ProblemType['category'];
  retryable: boolean;
  requestId: string;
  errors?: ValidationIssue[];
  [extension: string]: unknown;
}

export interface ProblemInput {
  slug: string;
  detail?: string;
  instance: string;
  requestId: string;
  errors?: ValidationIssue[];
  extensions?: Record<string, unknown>;
}

const RESERVED = new Set([
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'category',
  'retryable',
  'requestId',
]);

export function problemTypeUri(slug: string): string {
  return `/problems/${slug}`;
}

export function buildProblem(registry: ProblemRegistry, input: ProblemInput): ProblemBody {
  const type = registry.get(input.slug) ?? registry.get('internal-error');
  if (!type) throw new Error('the registry has no internal-error type');
  const body: ProblemBody = {
    type: problemTypeUri(type.slug),
    title: type.title,
    status: type.status,
    detail: input.detail ?? type.title,
    instance: input.instance,
    category: type.category,
    retryable: type.retryable,
    requestId: input.requestId,
  };
  if (input.errors) body.errors = input.errors;
  for (const [key, value] of Object.entries(input.extensions ?? {})) {
    if (!RESERVED.has(key)) body[key] = value;
  }
  return body;
}

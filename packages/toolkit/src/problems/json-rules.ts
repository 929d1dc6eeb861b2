/**
 * What any JSON body must satisfy before it reaches a fingerprint, a handler
 * or the database: at most `maxDepth` levels of nesting, and every string and
 * member name well-formed Unicode (no lone surrogates) without U+0000, which
 * Postgres text and jsonb cannot store. Other control characters are allowed
 * (JSON carries them escaped; Postgres stores them). One iterative walk.
 */
import { jsonPointer, walkJson } from './json-walk.ts';
import type { ValidationIssue } from './problem-error.ts';

export const DEFAULT_JSON_MAX_DEPTH = 32;

export interface JsonRules {
  /** levels of nesting allowed: `{}` is 1, `{"a":[]}` is 2 (default 32) */
  maxDepth?: number;
  /** stop after this many issues (default 20) */
  maxIssues?: number;
}

/** Why a string cannot be accepted, or undefined when it can. */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains U+0000 (NUL), which cannot be stored';
  if (!text.isWellFormed()) return 'is not well-formed Unicode (it has a lone surrogate)';
  return undefined;
}

/** The value's rule violations as `{ pointer, message, in: 'body' }` issues; empty when it is acceptable. */
export function jsonRuleIssues(value: unknown, rules: JsonRules = {}): ValidationIssue[] {
  const maxDepth = rules.maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  const maxIssues = rules.maxIssues ?? 20;
  const issues: ValidationIssue[] = [];
  walkJson(value, {
    enter(current, step) {
      if (typeof step.key === 'string') {
        const why = unstorableText(step.key);
        if (why)
          issues.push({ pointer: jsonPointer(step.path), message: `its member name ${why}`, in: 'body' });
      }
      if (typeof current === 'string') {
        const why = unstorableText(current);
        if (why) issues.push({ pointer: jsonPointer(step.path), message: why, in: 'body' });
      } else if (current !== null && typeof current === 'object' && step.depth >= maxDepth) {
        issues.push({
          pointer: jsonPointer(step.path),
          message: `nests deeper than ${maxDepth} levels`,
          in: 'body',
        });
        return issues.length >= maxIssues ? 'stop' : 'skip';
      }
      return issues.length >= maxIssues ? 'stop' : undefined;
    },
  });
  return issues;
}

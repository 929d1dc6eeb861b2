/** @steadfast/toolkit/problems: one registry of problem types and the Fastify plumbing around it. */

export type { ProblemsPluginOptions } from './error-handler.ts';
export { problems, sendProblem } from './error-handler.ts';
export { HIDDEN_FROM_OPENAPI } from './hidden-route.ts';
export type { JsonBodyOptions } from './json-body.ts';
export { jsonBody } from './json-body.ts';
export type { JsonRules } from './json-rules.ts';
export { DEFAULT_JSON_MAX_DEPTH, jsonRuleIssues, unstorableText } from './json-rules.ts';
export type { JsonPathSegment, JsonStep, JsonVisitor, JsonWalkOptions } from './json-walk.ts';
export { jsonPointer, walkJson } from './json-walk.ts';
export { registerProblemPages } from './pages.ts';
export type { ProblemBody, ProblemInput } from './problem-body.ts';
export { buildProblem, PROBLEM_CONTENT_TYPE, problemTypeUri } from './problem-body.ts';
export type { ProblemOptions, ValidationIssue } from './problem-error.ts';
export { isProblemError, ProblemError } from './problem-error.ts';
export type { ProblemCategory, ProblemRegistry, ProblemType } from './registry.ts';
export { coreProblems, createProblemRegistry } from './registry.ts';
export { ProblemSchema, problemResponses, withFrameworkProblems } from './schema.ts';
export type { ProblemServerOptionsInput } from './server-options.ts';
export { problemServerOptions, rawProblemResponse } from './server-options.ts';
export { installValidators } from './validation.ts';

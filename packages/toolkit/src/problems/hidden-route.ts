/**
 * `schema: HIDDEN_FROM_OPENAPI` keeps an operational route (health, metrics,
 * problem pages) out of an OpenAPI document built by @fastify/swagger — its
 * `hide` flag — without the toolkit depending on @fastify/swagger.
 */
import type { FastifySchema } from 'fastify';

export const HIDDEN_FROM_OPENAPI = { hide: true } as FastifySchema;

/** Errors in the partners' own shape — not Steadfast's problem+json. */
import type { FastifyReply } from 'fastify';

export interface PartnerError {
  error: { type: string; code: string; message: string; param?: string };
}

export function partnerError(type: string, code: string, message: string, param?: string): PartnerError {
  return { error: { type, code, message, ...(param ? { param } : {}) } };
}

/** 400 `parameter_invalid`, the partners' usual answer to a bad request. */
export function invalidParameter(reply: FastifyReply, message: string, param?: string): FastifyReply {
  return reply.code(400).send(partnerError('invalid_request_error', 'parameter_invalid', message, param));
}

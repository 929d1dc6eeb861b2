/** Errors in the partners' own shape — not Steadfast's problem+json. */

export interface PartnerError {
  error: { type: string; code: string; message: string; param?: string };
}

export function partnerError(type: string, code: string, message: string, param?: string): PartnerError {
  return { error: { type, code, message, ...(param ? { param } : {}) } };
}

/**
 * Schema validation for Fastify routes. Bodies are validated strictly (no type
 * coercion: `"2"` is not a quantity; unknown fields are rejected, never silently
 * dropped); query strings, path parameters and headers are coerced from text.
 */
import Ajv, { type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

const COMMON: Options = {
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  strict: false,
};

function createAjv(coerceTypes: boolean) {
  const ajv = new Ajv.default({ ...COMMON, coerceTypes });
  addFormats.default(ajv, ['email', 'date-time', 'uri', 'uuid']);
  return ajv;
}

export function installValidators(app: FastifyInstance): void {
  const strict = createAjv(false);
  const coercing = createAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );
}

/**
 * The breaking-change rules of `steadfast-check diff`, judged from the
 * client's side: a change is breaking when a client written against the old
 * document can fail against the new one. docs/checker.md ("Comparing two API
 * documents") lists the same table; a test keeps the two in step.
 */

/** rules for an operation as a whole: one verdict */
export const OPERATION_RULES: Record<string, { breaking: boolean; what: string }> = {
  'operation-removed': { breaking: true, what: 'an operation removed' },
  'operation-added': { breaking: false, what: 'an operation added' },
  'operation-deprecated': { breaking: false, what: 'an operation marked deprecated (or no longer)' },
  'operation-id-changed': { breaking: false, what: 'operationId renamed (the wire is unchanged)' },
  'operation-annotation-changed': { breaking: false, what: 'summary, description, tags changed' },
  'operation-changed': {
    breaking: true,
    what: 'another operation keyword changed (callbacks, servers…): review it',
  },
  'security-added': { breaking: true, what: 'credentials now required where none were' },
  'security-removed': { breaking: false, what: 'credentials no longer required' },
  'security-changed': {
    breaking: true,
    what: 'other security requirements, or a security scheme changed or removed',
  },
  'parameter-added': { breaking: false, what: 'an optional parameter added' },
  'required-parameter-added': { breaking: true, what: 'a required parameter added' },
  'parameter-removed': {
    breaking: true,
    what: 'a parameter removed: clients that send it silently lose its effect (a filter stops filtering)',
  },
  'parameter-now-required': { breaking: true, what: 'an optional parameter now required' },
  'parameter-now-optional': { breaking: false, what: 'a required parameter now optional' },
  'parameter-changed': { breaking: true, what: 'style, explode or content of a parameter changed' },
  'parameter-annotation-changed': {
    breaking: false,
    what: 'description, example, deprecated of a parameter',
  },
  'request-body-added': { breaking: false, what: 'an optional request body added' },
  'required-request-body-added': { breaking: true, what: 'a required request body added' },
  'request-body-removed': {
    breaking: true,
    what: 'the request body removed: what clients send is no longer read',
  },
  'request-body-now-required': { breaking: true, what: 'an optional request body now required' },
  'request-body-now-optional': { breaking: false, what: 'a required request body now optional' },
  'request-content-type-removed': { breaking: true, what: 'a request content type no longer accepted' },
  'request-content-type-added': { breaking: false, what: 'a request content type added' },
  'success-status-changed': { breaking: true, what: 'the one success status changed (200 → 201)' },
  'success-status-removed': { breaking: true, what: 'a success (1xx–3xx) status removed' },
  'success-status-added': {
    breaking: true,
    what: 'a success status added: clients get an answer they do not expect',
  },
  'error-status-added': { breaking: false, what: 'an error (4xx, 5xx, default) status added' },
  'error-status-removed': { breaking: false, what: 'an error status removed' },
  'response-content-type-removed': { breaking: true, what: 'a response content type removed or changed' },
  'response-content-type-added': { breaking: false, what: 'a response content type added' },
  'response-header-removed': { breaking: true, what: 'a documented response header removed' },
  'response-header-now-optional': { breaking: true, what: 'a required response header now optional' },
  'response-header-added': { breaking: false, what: 'a response header added' },
  'response-annotation-changed': { breaking: false, what: 'a response description or links changed' },
  'servers-changed': { breaking: true, what: 'a server URL removed' },
  'document-annotation-changed': { breaking: false, what: 'info, tags, a server added, x- extensions' },
  'document-changed': { breaking: true, what: 'another top-level keyword changed (webhooks…): review it' },
};

/** rules for a schema (request and response bodies, parameters, response headers): a verdict per side */
export const SCHEMA_RULES: Record<string, { request: boolean; response: boolean; what: string }> = {
  'type-changed': { request: true, response: true, what: 'type changed (string → integer)' },
  'type-narrowed': { request: true, response: false, what: 'fewer types (number → integer, any → string)' },
  'type-widened': { request: false, response: true, what: 'more types (integer → number, string → any)' },
  'nullable-added': { request: false, response: true, what: 'null now allowed' },
  'nullable-removed': { request: true, response: false, what: 'null no longer allowed' },
  'field-added': {
    request: false,
    response: false,
    what: 'an optional request field, or any response field, added',
  },
  'required-field-added': { request: true, response: false, what: 'a required request field added' },
  'field-removed': {
    request: false,
    response: true,
    what: 'a field removed (in a request: breaking when the schema has `additionalProperties: false`, as a client still sending it is refused)',
  },
  'field-now-required': { request: true, response: false, what: 'an optional field now required' },
  'field-now-optional': { request: false, response: true, what: 'a required field now optional' },
  'enum-value-added': {
    request: false,
    response: false,
    what: 'a new enum value (in a response too, as at Stripe: clients must tolerate values they do not know)',
  },
  'enum-value-removed': { request: true, response: false, what: 'an enum value removed' },
  'enum-added': { request: true, response: false, what: 'a field now restricted to a list of values' },
  'enum-removed': { request: false, response: false, what: 'the list of values dropped' },
  'range-narrowed': {
    request: true,
    response: false,
    what: 'maxLength/maximum/maxItems lowered or added, minLength/minimum/minItems raised or added, multipleOf, uniqueItems added',
  },
  'range-widened': {
    request: false,
    response: false,
    what: 'the reverse (in a response: lengths and ranges may grow, as at Stripe)',
  },
  'range-changed': {
    request: true,
    response: true,
    what: 'multipleOf changed to one neither a multiple nor a divisor',
  },
  'pattern-added': { request: true, response: false, what: 'a pattern added' },
  'pattern-changed': { request: true, response: false, what: 'a pattern changed (no subset can be proved)' },
  'pattern-removed': { request: false, response: false, what: 'a pattern removed' },
  'format-added': { request: true, response: false, what: 'a format added' },
  'format-changed': {
    request: true,
    response: true,
    what: 'a format changed (date → date-time: generated clients parse by format)',
  },
  'format-removed': { request: false, response: true, what: 'a format removed' },
  'default-changed': {
    request: true,
    response: false,
    what: 'a default value changed: clients that omit the field get another behaviour',
  },
  'additional-properties-forbidden': {
    request: true,
    response: false,
    what: '`additionalProperties: false` added',
  },
  'additional-properties-allowed': {
    request: false,
    response: false,
    what: '`additionalProperties: false` dropped',
  },
  'alternative-added': { request: false, response: true, what: 'an anyOf/oneOf alternative added' },
  'alternative-removed': { request: true, response: false, what: 'an anyOf/oneOf alternative removed' },
  'annotation-changed': {
    request: false,
    response: false,
    what: 'description, title, example(s), x- extensions',
  },
  'schema-changed': {
    request: true,
    response: true,
    what: 'any other keyword changed (not, if, discriminator…): review it',
  },
};

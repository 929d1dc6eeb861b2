/**
 * Check real responses against an OpenAPI 3.0/3.1 document, so a test app can
 * check every response its suite produces. A thin adapter over the checker's
 * validator (`@steadfast/check/openapi`): one implementation of "documented
 * status, content type and schema" for the tests and for steadfast-check.
 */

export interface ContractResponse {
  method: string;
  path: string;
  status: number;
  contentType: string | undefined;
  body: string;
}

export interface ContractChecker {
  /** violations for one response; [] when it conforms or its path is not in the document */
  check(response: ContractResponse): string[];
}

/**
 * `doc` is the OpenAPI document as JSON (`$ref`s inside it are followed).
 * Async because the validator is loaded on first use: `@steadfast/check` is an
 * optional peer dependency, needed only by this function.
 */
export async function createContractChecker(doc: object): Promise<ContractChecker> {
  let openapi: typeof import('@steadfast/check/openapi');
  try {
    openapi = await import('@steadfast/check/openapi');
  } catch (error) {
    throw new Error(
      `createContractChecker needs the optional peer dependency @steadfast/check (npm install --save-dev @steadfast/check): ${(error as Error).message}`,
    );
  }
  const { createOpenApiValidator, formatViolation } = openapi;
  const validator = createOpenApiValidator(doc);
  return {
    check(response) {
      const violation = validator.validateResponse(response);
      return violation ? [formatViolation(violation)] : [];
    },
  };
}

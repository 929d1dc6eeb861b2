/** The error a handler throws to answer with a registered problem type. */

export interface ValidationIssue {
  /** JSON pointer into the part named by `in` (RFC 6901), e.g. `/items/0/quantity` */
  pointer: string;
  message: string;
  in?: 'body' | 'query' | 'path' | 'header';
}

export interface ProblemOptions {
  detail?: string;
  /** extension members added to the body, e.g. `{ currentStatus: 'paid' }` */
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
  errors?: ValidationIssue[];
  cause?: unknown;
}

export class ProblemError extends Error {
  readonly slug: string;
  readonly detail: string | undefined;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly errors: ValidationIssue[] | undefined;

  constructor(slug: string, options: ProblemOptions = {}) {
    super(options.detail ?? slug, { cause: options.cause });
    this.name = 'ProblemError';
    this.slug = slug;
    this.detail = options.detail;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
    this.errors = options.errors;
  }
}

export function isProblemError(error: unknown): error is ProblemError {
  return error instanceof ProblemError;
}

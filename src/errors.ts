/**
 * Typed errors. Every error Bulwark raises carries a code from a closed union so that
 * front-ends (CLI exit codes, HTTP problem+json, report.errors entries) can map it without
 * string matching. Each code is documented in docs/errors.md (a test enforces it).
 */

/** Every error code Bulwark can raise. Never reuse or rename one. */
export const ERROR_CODES = [
  'USAGE',
  'CONFIG_INVALID',
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'OUTPUT_UNWRITABLE',
  'PARSE_ERROR',
  'LIMIT_EXCEEDED',
  'UNSUPPORTED',
  'ABORTED',
  'INTERNAL',
] as const;

/** A closed union of error codes. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error with a stable code; `cause` always holds what triggered it (or undefined). */
export class BulwarkError<C extends ErrorCode = ErrorCode> extends Error {
  /** The stable error code. */
  readonly code: C;

  constructor(code: C, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'BulwarkError';
    this.code = code;
  }
}

/** True when `err` is a BulwarkError (optionally of the given code). */
export function isBulwarkError(err: unknown, code?: ErrorCode): err is BulwarkError {
  return err instanceof BulwarkError && (code === undefined || err.code === code);
}

/**
 * Bulwark's public library API. Named exports only; one async function per capability.
 */
export { VERSION } from './version.js';
export { BulwarkError, isBulwarkError, ERROR_CODES, type ErrorCode } from './errors.js';
export * from './report/index.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits, type LimitOverrides } from './io/limits.js';

/**
 * Bulwark's public library API. Named exports only; one async function per capability.
 */
export { VERSION } from './version.js';
export { BulwarkError, isBulwarkError, ERROR_CODES, type ErrorCode } from './errors.js';
export * from './report/index.js';
export {
  DEFAULT_LIMITS,
  resolveLimits,
  openFileSource,
  bufferSource,
  type Limits,
  type LimitOverrides,
  type ByteSource,
  type FileByteSource,
} from './io/index.js';
export {
  scan,
  loadScanConfig,
  parseScanConfig,
  DEFAULT_SCAN_OPTIONS,
  type ScanOptions,
  type ScanProgress,
  type ScanConfig,
  type Suppression,
  type DetectedFormat,
} from './scan/index.js';
export { parsePickle, sniffPickle, type PickleFacts, type PickleStream, type GlobalImport, type Invocation, type CallableRef } from './formats/pickle/index.js';
export { BUILTIN_RULES, compileCallablePolicy, type CallablePolicy, type CallableVerdict } from './rules/index.js';
export {
  signModel,
  verifyModel,
  computeManifest,
  rootDigestOf,
  SIGN_RULES,
  DEFAULT_SIGN_OPTIONS,
  DEFAULT_VERIFY_OPTIONS,
  DEFAULT_MANIFEST_OPTIONS,
  DEFAULT_SIGN_LIMITS,
  type SignOptions,
  type SignResult,
  type SignerSpec,
  type VerifyOptions,
  type TrustSpec,
  type ManifestOptions,
  type ModelManifest,
} from './sign/index.js';

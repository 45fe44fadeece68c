/**
 * OpenSSF Model Signing (OMS v1.0): sign models and verify them, interoperable with the Python
 * reference (`model_signing`) and the Go implementation.
 */
export { signModel, defaultSignaturePath, DEFAULT_SIGN_OPTIONS, type SignOptions, type SignResult, type SignerSpec } from './sign-model.js';
export { verifyModel, DEFAULT_VERIFY_OPTIONS, type VerifyOptions, type TrustSpec } from './verify-model.js';
export {
  computeManifest,
  rootDigestOf,
  parseShardName,
  resourceAlgorithm,
  effectiveIgnorePaths,
  DEFAULT_MANIFEST_OPTIONS,
  type ManifestOptions,
} from './manifest.js';
export { hashRanges, DEFAULT_HASH_POOL_OPTIONS, MAX_DEFAULT_WORKERS, type HashTask, type HashOutcome, type HashPoolOptions } from './hash-pool.js';
export { parseBundle, parseStatement, statementPayload, buildBundle, type OmsBundle, type OmsStatement, type OmsBundleJson } from './bundle.js';
export { pae, paeCompat, signDsse, verifyDsse } from './dsse.js';
export { keyHint, loadPrivateKey, loadPublicKey } from './keys.js';
export { prepareBundleSigner, checkBundleSigner, type KeyMaterial, type SignerTrust, type SignerCheck, type SignerCheckWording } from './signer.js';
export { verifyCertificateChain, parsePemCertificates } from './certificates.js';
export { verifyKeyless, signKeyless, type KeylessTrust, type KeylessSignOptions } from './sigstore.js';
export { compareCodePoint, comparePathComponents, listModel, type ModelFile, type ModelListing } from './walk.js';
export { SIGN_RULES } from './rules.js';
export {
  DEFAULT_SIGN_LIMITS,
  DEFAULT_IGNORE_PATHS,
  DEFAULT_SIGNATURE_NAME,
  DEFAULT_SHARD_SIZE,
  OMS_PREDICATE_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  SIGSTORE_BUNDLE_MEDIA_TYPE,
  type HashAlgorithm,
  type SerializationMethod,
  type ResourceOrder,
  type Resource,
  type Serialization,
  type ModelManifest,
  type SignLimits,
  type HashProgress,
} from './types.js';

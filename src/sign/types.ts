/**
 * Types and defaults of OpenSSF Model Signing (OMS v1.0) support.
 * Spec: https://github.com/ossf/model-signing-spec (SPEC.md; sections cited as "OMS §n").
 */

/** File hash algorithms (OMS algorithm registry): SHA-256 (required) and BLAKE2b-512. */
export type HashAlgorithm = 'sha256' | 'blake2b';

/** OMS §5.2.2 `serialization.method`. */
export type SerializationMethod = 'files' | 'shards';

/**
 * The order of `resources` (and so of the root digest). OMS §5.2.1 and the Go implementation
 * sort by code point of the whole name; the Python reference sorts by path components
 * (`sub/a` before `sub-x`). Verification always recomputes in the order the bundle lists.
 */
export type ResourceOrder = 'code-point' | 'path-components';

/** One OMS resource descriptor (OMS §5.2.1): a file, or a byte range `path:start:end` of one. */
export interface Resource {
  name: string;
  algorithm: string;
  /** Lower-case hex. */
  digest: string;
}

/** OMS §5.2.2 serialization metadata, as Bulwark writes it. */
export interface Serialization {
  method: SerializationMethod;
  hash_type: HashAlgorithm;
  /** Shards only: a positive integer (never a float, which Go rejects). */
  shard_size?: number;
  allow_symlinks: boolean;
  ignore_paths: string[];
}

/** The manifest of a model: what is signed, before any signature. */
export interface ModelManifest {
  /** Subject name: the basename of the model path (OMS §6.5). */
  subjectName: string;
  /** SHA-256 over the raw resource digests in `resources` order (OMS §6.5.1), hex. */
  rootDigest: string;
  serialization: Serialization;
  resources: Resource[];
  /** Regular files hashed. */
  files: number;
  /** Bytes hashed. */
  bytes: number;
  /** True when the model path is a single file. */
  singleFile: boolean;
  /** Non-fatal notes (e.g. a followed symlink that points outside the model). */
  warnings: string[];
}

/** Resource bounds for signing and verifying. */
export interface SignLimits {
  /** Regular files in one model. */
  maxFiles: number;
  /** Directory nesting below the model root. */
  maxDepth: number;
  /** Bytes of a signature bundle file that are read. */
  maxBundleBytes: number;
  /** Resource descriptors in one bundle (or produced by one manifest). */
  maxResources: number;
  /** Certificates in a bundle's chain or a trust-root file. */
  maxCertificates: number;
}

/** Defaults: large enough for real checkpoints (a 1 TB model in 1 GB shards is 1,000 resources). */
export const DEFAULT_SIGN_LIMITS: Readonly<SignLimits> = Object.freeze({
  maxFiles: 1_000_000,
  maxDepth: 64,
  maxBundleBytes: 256 * 1024 * 1024,
  maxResources: 2_000_000,
  maxCertificates: 16,
});

/** Paths ignored by default (OMS §6.2), matched as top-level components of the model root. */
export const DEFAULT_IGNORE_PATHS: readonly string[] = Object.freeze(['.git', '.gitattributes', '.github', '.gitignore']);

/** The signature file's name inside a model directory when none is given. */
export const DEFAULT_SIGNATURE_NAME = 'model.sig';

/** OMS §6.3.2: the default shard size, 1,000,000,000 bytes. */
export const DEFAULT_SHARD_SIZE = 1_000_000_000;

/** OMS §5.1. */
export const OMS_PREDICATE_TYPE = 'https://model_signing/signature/v1.0';
/** in-toto Statement v1. */
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** DSSE payload type for in-toto statements. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The Sigstore bundle media type the reference writes (v0.3). */
export const SIGSTORE_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** Progress of hashing: bytes done out of the total. */
export interface HashProgress {
  bytesDone: number;
  bytesTotal: number;
}

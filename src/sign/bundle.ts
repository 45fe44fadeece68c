import { z } from 'zod';
import { IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_TYPE, OMS_PREDICATE_TYPE, SIGSTORE_BUNDLE_MEDIA_TYPE, type HashAlgorithm, type ModelManifest, type SerializationMethod } from './types.js';

/**
 * Sigstore bundle as the OMS implementations write it, parsed leniently (OMS §11.1): any key
 * order, `publicKey.hint` or `rawBytes`, `keyid` empty, null or absent, `tlogEntries` absent or
 * empty. Unknown fields are ignored.
 */
const CertSchema = z.object({ rawBytes: z.string().max(1_000_000) });
const BundleSchema = z.object({
  mediaType: z.string().max(200),
  verificationMaterial: z.object({
    publicKey: z.object({ hint: z.string().max(512).nullish(), rawBytes: z.string().max(100_000).nullish() }).nullish(),
    x509CertificateChain: z.object({ certificates: z.array(CertSchema).min(1).max(64) }).nullish(),
    certificate: CertSchema.nullish(),
    tlogEntries: z.array(z.unknown()).max(64).nullish(),
  }),
  dsseEnvelope: z.object({
    payload: z.string(),
    payloadType: z.string().max(200),
    signatures: z.array(z.object({ sig: z.string().max(10_000), keyid: z.string().max(512).nullish() })).min(1).max(16),
  }),
});

/** A parsed Sigstore bundle (the fields OMS verification reads). */
export type OmsBundle = z.infer<typeof BundleSchema>;

const ResourceSchema = z.object({ name: z.string().min(1).max(8192), algorithm: z.string().max(100), digest: z.string().regex(/^[0-9a-fA-F]+$/).max(256) });
const StatementSchema = z.object({
  _type: z.literal(IN_TOTO_STATEMENT_TYPE),
  subject: z.array(z.object({ name: z.string().max(8192), digest: z.record(z.string(), z.string().max(256)) })).min(1).max(16),
  predicateType: z.literal(OMS_PREDICATE_TYPE),
  predicate: z.object({
    serialization: z.object({
      method: z.enum(['files', 'shards']),
      hash_type: z.string().max(100),
      shard_size: z.number().nullish(),
      allow_symlinks: z.boolean().nullish(),
      ignore_paths: z.array(z.string().max(8192)).max(100_000).nullish(),
    }),
    resources: z.array(ResourceSchema).min(1),
  }),
});

/** The signed in-toto statement, normalised. */
export interface OmsStatement {
  subjectName: string;
  /** The subject's `digest.sha256`, lower-case (undefined when absent). */
  rootDigest: string | undefined;
  method: SerializationMethod;
  hashType: HashAlgorithm;
  shardSize: number | undefined;
  allowSymlinks: boolean;
  ignorePaths: string[];
  resources: { name: string; algorithm: string; digest: string }[];
}

/** Result of a parse: the value, or what is wrong (never an exception for bad input). */
export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; error: string };

function describe(err: z.ZodError): string {
  const i = err.issues[0];
  if (!i) return 'invalid';
  return `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`;
}

/** Parses bundle JSON text (already size-bounded by the caller). */
export function parseBundle(text: string): ParseOutcome<OmsBundle> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON (${(err as Error).message})` };
  }
  const r = BundleSchema.safeParse(json);
  if (!r.success) return { ok: false, error: `not a Sigstore bundle with a DSSE envelope (${describe(r.error)})` };
  if (!r.data.mediaType.startsWith('application/vnd.dev.sigstore.bundle')) {
    return { ok: false, error: `mediaType ${JSON.stringify(r.data.mediaType)} is not a Sigstore bundle media type` };
  }
  if (r.data.dsseEnvelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { ok: false, error: `dsseEnvelope.payloadType is ${JSON.stringify(r.data.dsseEnvelope.payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}` };
  }
  return { ok: true, value: r.data };
}

/** The hash of `hash_type` (`blake2` is an alias the Go implementation has used for BLAKE2b). */
function hashTypeOf(s: string): HashAlgorithm | undefined {
  switch (s.toLowerCase()) {
    case 'sha256':
    case 'sha-256':
      return 'sha256';
    case 'blake2b':
    case 'blake2':
    case 'blake2b512':
      return 'blake2b';
    default:
      return undefined;
  }
}

/** Parses the signed payload (an in-toto Statement v1 with the OMS predicate, OMS §8.3). */
export function parseStatement(payload: Uint8Array, maxResources: number): ParseOutcome<OmsStatement> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch (err) {
    return { ok: false, error: `the DSSE payload is not JSON (${(err as Error).message})` };
  }
  const r = StatementSchema.safeParse(json);
  if (!r.success) return { ok: false, error: `the DSSE payload is not an OMS v1.0 in-toto statement (${describe(r.error)})` };
  const s = r.data;
  const ser = s.predicate.serialization;
  if (s.predicate.resources.length > maxResources) return { ok: false, error: `${s.predicate.resources.length} resources exceed the limit of ${maxResources} (limit maxResources)` };
  const hashType = hashTypeOf(ser.hash_type);
  if (!hashType) return { ok: false, error: `serialization.hash_type ${JSON.stringify(ser.hash_type)} is not supported (sha256, blake2b)` };
  let shardSize: number | undefined;
  if (ser.method === 'shards') {
    // Python writes 1024.0, Go 1024: JSON.parse gives the same number; it must be a whole one.
    if (ser.shard_size === undefined || ser.shard_size === null || !Number.isSafeInteger(ser.shard_size) || ser.shard_size <= 0) {
      return { ok: false, error: `serialization.shard_size must be a positive integer for the shards method, got ${String(ser.shard_size)}` };
    }
    shardSize = ser.shard_size;
  }
  for (const res of s.predicate.resources) {
    const a = res.algorithm.toLowerCase();
    const base = a.replace(/-sharded-\d+$/, '');
    if (hashTypeOf(base) !== hashType) return { ok: false, error: `resource ${JSON.stringify(res.name)} has algorithm ${JSON.stringify(res.algorithm)}, not the serialization's ${hashType}` };
  }
  const subject = s.subject[0]!;
  return {
    ok: true,
    value: {
      subjectName: subject.name,
      rootDigest: subject.digest.sha256?.toLowerCase(),
      method: ser.method,
      hashType,
      shardSize,
      allowSymlinks: ser.allow_symlinks ?? false,
      ignorePaths: ser.ignore_paths ?? [],
      resources: s.predicate.resources.map((x) => ({ name: x.name, algorithm: x.algorithm, digest: x.digest.toLowerCase() })),
    },
  };
}

/** The in-toto statement Bulwark signs for a manifest (OMS §6.6), as the payload bytes. */
export function statementPayload(m: ModelManifest): Buffer {
  const statement = {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: m.subjectName, digest: { sha256: m.rootDigest } }],
    predicateType: OMS_PREDICATE_TYPE,
    predicate: { serialization: m.serialization, resources: m.resources },
  };
  return Buffer.from(JSON.stringify(statement, null, 2), 'utf8');
}

/** Verification material of a Bulwark bundle: a key hint, or a certificate chain (OMS §4.1). */
export type VerificationMaterialJson =
  | { publicKey: { hint: string }; tlogEntries: [] }
  | { x509CertificateChain: { certificates: { rawBytes: string }[] }; tlogEntries: [] };

/** The bundle JSON Bulwark writes: what Python, Go and Bulwark all accept (keyid "", OMS §4.1). */
export interface OmsBundleJson {
  mediaType: string;
  verificationMaterial: VerificationMaterialJson | Record<string, unknown>;
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string; keyid: string }[] };
}

/** Assembles a Sigstore bundle around a signed payload (OMS §6.8). */
export function buildBundle(payload: Uint8Array, signature: Uint8Array, material: VerificationMaterialJson): OmsBundleJson {
  return {
    mediaType: SIGSTORE_BUNDLE_MEDIA_TYPE,
    verificationMaterial: material,
    dsseEnvelope: {
      payload: Buffer.from(payload).toString('base64'),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: Buffer.from(signature).toString('base64'), keyid: '' }],
    },
  };
}

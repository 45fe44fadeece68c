import type { Report } from '../report/types.js';
import { IN_TOTO_STATEMENT_TYPE, type KeyMaterial } from '../sign/index.js';

/** in-toto Statement v1 type URI (in-toto attestation framework, spec/v1/statement.md); model signing signs the same. */
export const IN_TOTO_STATEMENT_V1 = IN_TOTO_STATEMENT_TYPE;

/** DSSE payload type of an in-toto statement (in-toto spec/v1/envelope.md). */
export { IN_TOTO_PAYLOAD_TYPE } from '../sign/index.js';

/** Prefix of Bulwark predicate types: `https://bulwark.dev/attestation/<kind>/v1`. */
export const BULWARK_PREDICATE_PREFIX = 'https://bulwark.dev/attestation/';

/** One subject of a statement: an artifact named by its digests. */
export interface InTotoSubject {
  name: string;
  digest: Record<string, string>;
}

/** An in-toto Statement v1 whose predicate is a Bulwark Report (or, when read back, anything). */
export interface InTotoStatement<P = Report> {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: InTotoSubject[];
  predicateType: string;
  predicate: P;
}

/**
 * Who signs an attestation: the key material of model signing (src/sign), PEM text or bytes,
 * never a path. With `certificate` the bundle carries the X.509 chain instead of a key hint.
 */
export type AttestationSigner = KeyMaterial;

/** Whom to trust when verifying: a public key (PEM/DER, or a PEM certificate's key), or certificate roots. */
export type AttestationTrust = { publicKey: string | Uint8Array } | { certificateRoots: string | Uint8Array };

/** A Sigstore bundle v0.3 holding the DSSE envelope of a statement. */
export interface AttestationBundle {
  mediaType: string;
  verificationMaterial:
    | { publicKey: { hint: string }; tlogEntries: [] }
    | { x509CertificateChain: { certificates: { rawBytes: string }[] }; tlogEntries: [] };
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string; keyid: string }[] };
}

/** Who signed a verified attestation. */
export type AttestationSignerIdentity =
  | { kind: 'key'; keyHint: string }
  | { kind: 'certificate'; subject: string; subjectAltName: string | undefined; fingerprint256: string };

/** Failure classes of {@link AttestationVerification}. */
export type AttestationFailure = 'malformed' | 'untrusted' | 'bad-signature';

/**
 * Outcome of verifying an attestation: data, not an exception, so that an evidence run records a
 * bad attestation and the policy fails closed on it.
 */
export type AttestationVerification =
  | {
      ok: true;
      statement: InTotoStatement<unknown>;
      /** The predicate as a validated Report when the predicate type is a Bulwark one. */
      report?: Report;
      signer: AttestationSignerIdentity;
    }
  | { ok: false; failure: AttestationFailure; error: string };

/** Limits of attestation verification. */
export interface AttestLimits {
  /** Largest bundle accepted (bytes of JSON text). */
  maxBundleBytes: number;
  /** Most certificates in a chain. */
  maxCertificates: number;
}

/** Default {@link AttestLimits}: reports of large scans are big, bundles of 256 MiB are not plausible. */
export const DEFAULT_ATTEST_LIMITS: Readonly<AttestLimits> = Object.freeze({ maxBundleBytes: 256 * 1024 * 1024, maxCertificates: 10 });

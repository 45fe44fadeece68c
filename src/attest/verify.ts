import { z } from 'zod';
import { checkBundleSigner, loadPublicKey, parseBundle, parsePemCertificates, type SignerCheck, type SignerTrust } from '../sign/index.js';
import { describeZodError, parseReport } from './report-schema.js';
import { kindOfPredicateType } from './statement.js';
import {
  DEFAULT_ATTEST_LIMITS,
  IN_TOTO_STATEMENT_V1,
  type AttestationSignerIdentity,
  type AttestationTrust,
  type AttestationVerification,
  type AttestLimits,
  type InTotoStatement,
} from './types.js';

/** Options of {@link verifyAttestation}. */
export interface VerifyAttestationOptions {
  trust: AttestationTrust;
  limits?: Partial<AttestLimits> | undefined;
}

const StatementSchema = z
  .object({
    _type: z.literal(IN_TOTO_STATEMENT_V1),
    subject: z.array(z.object({ name: z.string().max(8192), digest: z.record(z.string(), z.string().max(256)) }).passthrough()).min(1).max(100_000),
    predicateType: z.string().min(1).max(1000),
    predicate: z.unknown(),
  })
  .passthrough();

/** Loads the trust material; bad keys/roots are the caller's mistake (CONFIG_INVALID), thrown. */
function loadTrust(trust: AttestationTrust, limits: AttestLimits): SignerTrust {
  if ('publicKey' in trust) return { kind: 'key', key: loadPublicKey(trust.publicKey, 'attestation public key') };
  return { kind: 'certificate', roots: parsePemCertificates(trust.certificateRoots, 'attestation certificate root', limits.maxCertificates) };
}

/** How signer failures read: library options, not CLI flags. */
const ATTEST_WORDING = { noun: 'attestation', useRoots: 'certificate roots', useKey: 'a public key' } as const;

/** The signer identity of a checked bundle. */
function identityOf(signer: Extract<SignerCheck, { ok: true }>['signer']): AttestationSignerIdentity {
  if (signer.kind === 'key') return { kind: 'key', keyHint: signer.keyHint };
  const leaf = signer.leaf;
  return { kind: 'certificate', subject: leaf.subject.replaceAll('\n', ', '), subjectAltName: leaf.subjectAltName, fingerprint256: leaf.fingerprint256 };
}

/**
 * Verifies a Bulwark attestation bundle (or any in-toto DSSE bundle) the way model signatures are
 * verified: the bundle shape and payload type (`application/vnd.in-toto+json`), the signer
 * (key hint or certificate chain), the DSSE signature over the PAE, then the statement; a
 * Bulwark predicate type must carry a valid Report of the matching kind whose subjects are the
 * statement's. Bad input and failed checks come back as `{ ok: false }`; only unusable trust
 * material (the caller's key or roots) throws CONFIG_INVALID.
 */
export function verifyAttestation(bundleJson: string | Uint8Array, options: VerifyAttestationOptions): AttestationVerification {
  const limits: AttestLimits = { ...DEFAULT_ATTEST_LIMITS, ...options.limits };
  const trust = loadTrust(options.trust, limits);
  const size = typeof bundleJson === 'string' ? Buffer.byteLength(bundleJson) : bundleJson.length;
  if (size > limits.maxBundleBytes) return { ok: false, failure: 'malformed', error: `the bundle is ${size} bytes, over the limit of ${limits.maxBundleBytes} (limit maxBundleBytes)` };
  const text = typeof bundleJson === 'string' ? bundleJson : Buffer.from(bundleJson).toString('utf8');
  const parsed = parseBundle(text);
  if (!parsed.ok) return { ok: false, failure: 'malformed', error: parsed.error };
  const bundle = parsed.value;
  const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
  const check = checkBundleSigner(bundle, trust, limits.maxCertificates, ATTEST_WORDING);
  if (!check.ok) return check;
  // Only now, with the signature verified, is the payload read: nothing unsigned is interpreted.
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { ok: false, failure: 'malformed', error: `the DSSE payload is not JSON (${(err as Error).message})` };
  }
  const st = StatementSchema.safeParse(json);
  if (!st.success) return { ok: false, failure: 'malformed', error: `the DSSE payload is not an in-toto Statement v1 (${describeZodError(st.error)})` };
  const statement = st.data as InTotoStatement<unknown>;
  const kind = kindOfPredicateType(statement.predicateType);
  if (kind === undefined) return { ok: true, statement, signer: identityOf(check.signer) };
  const rep = parseReport(statement.predicate);
  if (!rep.ok) return { ok: false, failure: 'malformed', error: `the predicate is not a Bulwark report (predicate.${rep.error})` };
  if (rep.report.kind !== kind) {
    return { ok: false, failure: 'malformed', error: `the predicate type names kind ${kind} but the report is of kind ${rep.report.kind}` };
  }
  const want = rep.report.subjects.map((s) => `${s.name}\u0000${s.digest.sha256}`).join('\n');
  const got = statement.subject.map((s) => `${s.name}\u0000${s.digest.sha256 ?? ''}`).join('\n');
  if (want !== got) return { ok: false, failure: 'malformed', error: "the statement's subjects are not the report's subjects" };
  return { ok: true, statement, report: rep.report, signer: identityOf(check.signer) };
}

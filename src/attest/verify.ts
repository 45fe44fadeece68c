import { X509Certificate, type KeyObject } from 'node:crypto';
import { BulwarkError } from '../errors.js';
import { keyHint, loadPublicKey, parseBundle, parsePemCertificates, verifyCertificateChain, verifyDsse, type OmsBundle } from '../sign/index.js';
import { parseReport } from './report-schema.js';
import { samePublicKey } from './sign.js';
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
import { z } from 'zod';
import { describeZodError } from './report-schema.js';

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

type LoadedTrust = { kind: 'key'; key: KeyObject } | { kind: 'certificate'; roots: X509Certificate[] };

/** Loads the trust material; bad keys/roots are the caller's mistake (CONFIG_INVALID), thrown. */
function loadTrust(trust: AttestationTrust, limits: AttestLimits): LoadedTrust {
  if ('publicKey' in trust) return { kind: 'key', key: loadPublicKey(trust.publicKey, 'attestation public key') };
  return { kind: 'certificate', roots: parsePemCertificates(trust.certificateRoots, 'attestation certificate root', limits.maxCertificates) };
}

function anySignatureVerifies(bundle: OmsBundle, payload: Buffer, key: KeyObject): boolean {
  return bundle.dsseEnvelope.signatures.some((s) => verifyDsse(key, bundle.dsseEnvelope.payloadType, payload, Buffer.from(s.sig, 'base64')));
}

type SignerCheck = { ok: true; signer: AttestationSignerIdentity } | { ok: false; failure: 'untrusted' | 'bad-signature' | 'malformed'; error: string };

/** Key trust, as model verification does it (OMS §8.2 key method): key hint, then the signature. */
function checkKey(bundle: OmsBundle, payload: Buffer, key: KeyObject): SignerCheck {
  const pk = bundle.verificationMaterial.publicKey;
  if (!pk) return { ok: false, failure: 'untrusted', error: 'the attestation is signed with a certificate, not a bare key: verify it with certificate roots' };
  const hint = keyHint(key);
  if (pk.hint && pk.hint.toLowerCase() !== hint) {
    return { ok: false, failure: 'untrusted', error: `the attestation was signed with another key (key hint ${pk.hint}; the given key's hint is ${hint})` };
  }
  if (!pk.hint && pk.rawBytes) {
    try {
      if (!samePublicKey(loadPublicKey(Buffer.from(pk.rawBytes, 'base64'), 'bundle key'), key)) {
        return { ok: false, failure: 'untrusted', error: 'the attestation was signed with another key (its rawBytes key is not the given key)' };
      }
    } catch {
      // An unreadable legacy key field is not authoritative: the signature check decides.
    }
  }
  if (!anySignatureVerifies(bundle, payload, key)) {
    return { ok: false, failure: 'bad-signature', error: 'the DSSE signature does not verify with the given key: the statement or the signature was altered' };
  }
  return { ok: true, signer: { kind: 'key', keyHint: hint } };
}

/** Certificate trust (OMS §8.2 certificate method, via src/sign's chain check). */
function checkCertificate(bundle: OmsBundle, payload: Buffer, roots: X509Certificate[], limits: AttestLimits): SignerCheck {
  const vm = bundle.verificationMaterial;
  const raw = vm.x509CertificateChain?.certificates ?? (vm.certificate ? [vm.certificate] : undefined);
  if (!raw) return { ok: false, failure: 'untrusted', error: 'the attestation carries no certificate chain: it was signed with a bare key (verify it with a public key)' };
  if (raw.length > limits.maxCertificates) return { ok: false, failure: 'malformed', error: `the certificate chain has more than ${limits.maxCertificates} certificates (limit maxCertificates)` };
  let chain: X509Certificate[];
  try {
    chain = raw.map((c) => new X509Certificate(Buffer.from(c.rawBytes, 'base64')));
  } catch (err) {
    return { ok: false, failure: 'malformed', error: `verificationMaterial.x509CertificateChain: not a DER certificate (${(err as Error).message})` };
  }
  const r = verifyCertificateChain(chain, roots, limits.maxCertificates);
  if (!r.ok) return { ok: false, failure: 'untrusted', error: `the signing certificate is not trusted: ${r.error}` };
  if (!anySignatureVerifies(bundle, payload, r.key)) return { ok: false, failure: 'bad-signature', error: "the DSSE signature does not verify with the signing certificate's key" };
  return {
    ok: true,
    signer: { kind: 'certificate', subject: r.leaf.subject.replaceAll('\n', ', '), subjectAltName: r.leaf.subjectAltName, fingerprint256: r.leaf.fingerprint256 },
  };
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
  let check: SignerCheck;
  switch (trust.kind) {
    case 'key':
      check = checkKey(bundle, payload, trust.key);
      break;
    case 'certificate':
      check = checkCertificate(bundle, payload, trust.roots, limits);
      break;
    default: {
      const never: never = trust;
      throw new BulwarkError('INTERNAL', `unknown trust ${String(never)}`);
    }
  }
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
  if (kind === undefined) return { ok: true, statement, signer: check.signer };
  const rep = parseReport(statement.predicate);
  if (!rep.ok) return { ok: false, failure: 'malformed', error: `the predicate is not a Bulwark report (predicate.${rep.error})` };
  if (rep.report.kind !== kind) {
    return { ok: false, failure: 'malformed', error: `the predicate type names kind ${kind} but the report is of kind ${rep.report.kind}` };
  }
  const want = rep.report.subjects.map((s) => `${s.name}\u0000${s.digest.sha256}`).join('\n');
  const got = statement.subject.map((s) => `${s.name}\u0000${s.digest.sha256 ?? ''}`).join('\n');
  if (want !== got) return { ok: false, failure: 'malformed', error: "the statement's subjects are not the report's subjects" };
  return { ok: true, statement, report: rep.report, signer: check.signer };
}

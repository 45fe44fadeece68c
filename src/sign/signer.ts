import { X509Certificate, type KeyObject } from 'node:crypto';
import { BulwarkError } from '../errors.js';
import { buildBundle, type OmsBundle, type OmsBundleJson, type VerificationMaterialJson } from './bundle.js';
import { parsePemCertificates, verifyCertificateChain } from './certificates.js';
import { signDsse, verifyDsse } from './dsse.js';
import { keyHint, loadPrivateKey, loadPublicKey, samePublicKey } from './keys.js';
import { IN_TOTO_PAYLOAD_TYPE } from './types.js';

/**
 * Key material to sign with (OMS §4.1 `key` and `certificate` methods): PEM text or bytes, never
 * a path. With `certificate` the bundle carries the X.509 chain instead of a key hint.
 */
export interface KeyMaterial {
  privateKey: string | Uint8Array;
  password?: string | undefined;
  /** The signing (leaf) certificate, PEM; its key must be the private key's. */
  certificate?: string | Uint8Array | undefined;
  /** Intermediate (and optionally root) certificates, PEM, leaf's issuer first. */
  chain?: string | Uint8Array | undefined;
}

/**
 * Loads key material and returns a signer of in-toto payloads: DSSE (ECDSA over the PAE) in a
 * Sigstore bundle v0.3 with a key hint or the certificate chain (OMS §6.8). Loading comes first so
 * that a wrong password or certificate fails before any hashing. `label` prefixes the names used
 * in errors (`'attestation '` gives "attestation private key").
 */
export function prepareBundleSigner(material: KeyMaterial, maxCertificates: number, label = ''): (payload: Uint8Array) => OmsBundleJson {
  const key = loadPrivateKey(material.privateKey, material.password, `${label}private key`);
  let vm: VerificationMaterialJson;
  if (material.certificate === undefined) {
    vm = { publicKey: { hint: keyHint(key) }, tlogEntries: [] };
  } else {
    const [leaf] = parsePemCertificates(material.certificate, `${label}signing certificate`, 1);
    const chain: X509Certificate[] = material.chain === undefined ? [] : parsePemCertificates(material.chain, `${label}certificate chain`, maxCertificates);
    if (!leaf || !samePublicKey(leaf.publicKey, key)) throw new BulwarkError('CONFIG_INVALID', `${label}signing certificate: its public key is not the private key's`);
    vm = { x509CertificateChain: { certificates: [leaf, ...chain].map((c) => ({ rawBytes: c.raw.toString('base64') })) }, tlogEntries: [] };
  }
  return (payload) => buildBundle(payload, signDsse(key, IN_TOTO_PAYLOAD_TYPE, payload), vm);
}

/** Whom to trust when checking a bundle's signer (OMS §8.2 `key` and `certificate` methods). */
export type SignerTrust = { kind: 'key'; key: KeyObject } | { kind: 'certificate'; roots: X509Certificate[] };

/** Outcome of {@link checkBundleSigner}: who signed, or which check failed and why. */
export type SignerCheck =
  | { ok: true; signer: { kind: 'key'; keyHint: string } | { kind: 'certificate'; leaf: X509Certificate } }
  | { ok: false; failure: 'untrusted' | 'bad-signature' | 'malformed'; error: string };

/** How {@link checkBundleSigner}'s messages name the bundle and the other kind of trust to use. */
export interface SignerCheckWording {
  /** `bundle`, `attestation`. */
  noun: string;
  /** What to verify a certificate-signed bundle with (a CLI flag, or option). */
  useRoots: string;
  /** What to verify a key-signed bundle with. */
  useKey: string;
}

function anySignatureVerifies(bundle: OmsBundle, key: KeyObject): boolean {
  const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
  return bundle.dsseEnvelope.signatures.some((s) => verifyDsse(key, bundle.dsseEnvelope.payloadType, payload, Buffer.from(s.sig, 'base64')));
}

function checkKey(bundle: OmsBundle, key: KeyObject, w: SignerCheckWording): SignerCheck {
  const pk = bundle.verificationMaterial.publicKey;
  if (!pk) return { ok: false, failure: 'untrusted', error: `the ${w.noun} is signed with a certificate, not a bare key: verify it with ${w.useRoots}` };
  const hint = keyHint(key);
  if (pk.hint) {
    if (pk.hint.toLowerCase() !== hint) return { ok: false, failure: 'untrusted', error: `the ${w.noun} was signed with another key (key hint ${pk.hint}; the given key's hint is ${hint})` };
  } else if (pk.rawBytes) {
    // Pre-1.1 bundles carry the key itself (OMS §11.2): it must be the given one.
    try {
      if (!samePublicKey(loadPublicKey(Buffer.from(pk.rawBytes, 'base64'), 'bundle key'), key)) {
        return { ok: false, failure: 'untrusted', error: `the ${w.noun} was signed with another key (its rawBytes key is not the given key)` };
      }
    } catch {
      // An unreadable legacy key field is not authoritative: the signature check decides.
    }
  }
  if (!anySignatureVerifies(bundle, key)) {
    return { ok: false, failure: 'bad-signature', error: 'the DSSE signature does not verify with the given key: the statement or the signature was altered' };
  }
  return { ok: true, signer: { kind: 'key', keyHint: hint } };
}

function checkCertificate(bundle: OmsBundle, roots: X509Certificate[], maxCertificates: number, w: SignerCheckWording): SignerCheck {
  const vm = bundle.verificationMaterial;
  const raw = vm.x509CertificateChain?.certificates ?? (vm.certificate ? [vm.certificate] : undefined);
  if (!raw) return { ok: false, failure: 'untrusted', error: `the ${w.noun} carries no certificate chain: it was signed with a bare key (verify it with ${w.useKey})` };
  if (raw.length > maxCertificates) return { ok: false, failure: 'malformed', error: `the certificate chain has more than ${maxCertificates} certificates (limit maxCertificates)` };
  let chain: X509Certificate[];
  try {
    chain = raw.map((c) => new X509Certificate(Buffer.from(c.rawBytes, 'base64')));
  } catch (err) {
    return { ok: false, failure: 'malformed', error: `verificationMaterial.x509CertificateChain: not a DER certificate (${(err as Error).message})` };
  }
  const r = verifyCertificateChain(chain, roots, maxCertificates);
  if (!r.ok) return { ok: false, failure: 'untrusted', error: `the signing certificate is not trusted: ${r.error}` };
  if (!anySignatureVerifies(bundle, r.key)) return { ok: false, failure: 'bad-signature', error: "the DSSE signature does not verify with the signing certificate's key" };
  return { ok: true, signer: { kind: 'certificate', leaf: r.leaf } };
}

/**
 * Checks who signed a bundle and that the DSSE signature verifies (OMS §8.2): with a key, the
 * key hint (or a legacy rawBytes key) must be the given key's; with roots, the certificate chain
 * must lead to one of them. The payload is not interpreted here.
 */
export function checkBundleSigner(bundle: OmsBundle, trust: SignerTrust, maxCertificates: number, wording: SignerCheckWording): SignerCheck {
  switch (trust.kind) {
    case 'key':
      return checkKey(bundle, trust.key, wording);
    case 'certificate':
      return checkCertificate(bundle, trust.roots, maxCertificates, wording);
    default: {
      const never: never = trust;
      throw new BulwarkError('INTERNAL', `unknown trust ${String((never as { kind: unknown }).kind)}`);
    }
  }
}

import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { BulwarkError } from '../errors.js';
import { buildBundle, keyHint, loadPrivateKey, parsePemCertificates, signDsse } from '../sign/index.js';
import { DEFAULT_ATTEST_LIMITS, IN_TOTO_PAYLOAD_TYPE, type AttestationBundle, type AttestationSigner, type InTotoStatement } from './types.js';

/** True when two keys are the same public key (SPKI DER equality). */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  const spki = (k: KeyObject): Buffer => (k.type === 'private' ? createPublicKey(k) : k).export({ type: 'spki', format: 'der' });
  return Buffer.compare(spki(a), spki(b)) === 0;
}

/** The DSSE payload of a statement: its compact JSON, UTF-8 (the bytes the signature covers). */
export function statementBytes(statement: InTotoStatement<unknown>): Buffer {
  return Buffer.from(JSON.stringify(statement), 'utf8');
}

/**
 * Signs a statement as a DSSE envelope (payloadType `application/vnd.in-toto+json`) inside a
 * Sigstore bundle v0.3, with the key machinery of model signing (src/sign: EC P-256/384/521,
 * ECDSA over the DSSE PAE, key hint or X.509 chain as verification material). Async so that
 * keyless or KMS signers can slot in behind the same call later.
 */
export function signStatement(statement: InTotoStatement<unknown>, signer: AttestationSigner): Promise<AttestationBundle> {
  try {
    return Promise.resolve(signNow(statement, signer));
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

function signNow(statement: InTotoStatement<unknown>, signer: AttestationSigner): AttestationBundle {
  const key = loadPrivateKey(signer.privateKey, signer.password, 'attestation private key');
  const payload = statementBytes(statement);
  const sig = signDsse(key, IN_TOTO_PAYLOAD_TYPE, payload);
  if (signer.certificate === undefined) {
    return buildBundle(payload, sig, { publicKey: { hint: keyHint(key) }, tlogEntries: [] }) as AttestationBundle;
  }
  const [leaf] = parsePemCertificates(signer.certificate, 'attestation signing certificate', 1);
  const chain: X509Certificate[] = signer.chain === undefined ? [] : parsePemCertificates(signer.chain, 'attestation certificate chain', DEFAULT_ATTEST_LIMITS.maxCertificates);
  if (!leaf || !samePublicKey(leaf.publicKey, key)) throw new BulwarkError('CONFIG_INVALID', "attestation signing certificate: its public key is not the private key's");
  const certificates = [leaf, ...chain].map((c) => ({ rawBytes: c.raw.toString('base64') }));
  return buildBundle(payload, sig, { x509CertificateChain: { certificates }, tlogEntries: [] }) as AttestationBundle;
}

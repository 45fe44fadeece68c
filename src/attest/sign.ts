import { prepareBundleSigner } from '../sign/index.js';
import { DEFAULT_ATTEST_LIMITS, type AttestationBundle, type AttestationSigner, type InTotoStatement } from './types.js';

/** The DSSE payload of a statement: its compact JSON, UTF-8 (the bytes the signature covers). */
export function statementBytes(statement: InTotoStatement<unknown>): Buffer {
  return Buffer.from(JSON.stringify(statement), 'utf8');
}

/**
 * Signs a statement as a DSSE envelope (payloadType `application/vnd.in-toto+json`) inside a
 * Sigstore bundle v0.3, with the signer of model signing (src/sign: EC P-256/384/521, ECDSA over
 * the DSSE PAE, key hint or X.509 chain as verification material). Async so that keyless or KMS
 * signers can slot in behind the same call later.
 */
export function signStatement(statement: InTotoStatement<unknown>, signer: AttestationSigner): Promise<AttestationBundle> {
  try {
    const sign = prepareBundleSigner(signer, DEFAULT_ATTEST_LIMITS.maxCertificates, 'attestation ');
    return Promise.resolve(sign(statementBytes(statement)) as AttestationBundle);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

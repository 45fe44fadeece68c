import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { BulwarkError } from '../errors.js';

/** The curves OMS requires (algorithm registry), by node:crypto name, with their ECDSA hash. */
const CURVES: Readonly<Record<string, { label: string; hash: 'sha256' | 'sha384' | 'sha512' }>> = {
  prime256v1: { label: 'P-256', hash: 'sha256' },
  secp384r1: { label: 'P-384', hash: 'sha384' },
  secp521r1: { label: 'P-521', hash: 'sha512' },
};

/** The ECDSA hash for a key's curve (P-256: SHA-256, P-384: SHA-384, P-521: SHA-512), as the reference uses. */
export function ecdsaHashOf(key: KeyObject): 'sha256' | 'sha384' | 'sha512' {
  return curveOf(key, 'key').hash;
}

function curveOf(key: KeyObject, what: string): { label: string; hash: 'sha256' | 'sha384' | 'sha512' } {
  if (key.asymmetricKeyType !== 'ec') {
    throw new BulwarkError('UNSUPPORTED', `${what}: only elliptic-curve keys (P-256, P-384, P-521) are supported, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
  const c = CURVES[curve];
  if (!c) throw new BulwarkError('UNSUPPORTED', `${what}: curve ${curve || 'unknown'} is not supported (P-256, P-384 or P-521)`);
  return c;
}

/**
 * Loads an EC private key from PEM: SEC1 (`EC PRIVATE KEY`), PKCS#8 (`PRIVATE KEY`) or
 * encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`, needs `password`). `what` names it in errors.
 */
export function loadPrivateKey(pem: string | Uint8Array, password: string | undefined, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(password === undefined ? { key: Buffer.from(pem), format: 'pem' } : { key: Buffer.from(pem), format: 'pem', passphrase: password });
  } catch (err) {
    const msg = (err as Error).message;
    const encrypted = Buffer.from(pem).toString('latin1').includes('ENCRYPTED');
    const hint = encrypted ? (password === undefined ? ' (the key is encrypted: give its password, e.g. --password-env VAR)' : ' (the key is encrypted: wrong password?)') : '';
    throw new BulwarkError('CONFIG_INVALID', `${what}: not a usable PEM private key${hint}: ${msg}`, { cause: err });
  }
  curveOf(key, what);
  return key;
}

/** Loads an EC public key: PEM or DER SubjectPublicKeyInfo, or a PEM certificate (its key). */
export function loadPublicKey(data: string | Uint8Array, what: string): KeyObject {
  const buf = Buffer.from(data);
  let key: KeyObject | undefined;
  const text = buf.toString('latin1');
  try {
    if (text.includes('-----BEGIN')) key = createPublicKey({ key: buf, format: 'pem' });
    else key = createPublicKey({ key: buf, format: 'der', type: 'spki' });
  } catch (err) {
    throw new BulwarkError('CONFIG_INVALID', `${what}: not a PEM or DER public key: ${(err as Error).message}`, { cause: err });
  }
  curveOf(key, what);
  return key;
}

/**
 * The key hint of `verificationMaterial.publicKey.hint`: hex SHA-256 of the SubjectPublicKeyInfo
 * PEM text, as the reference computes it (node's PEM export is byte-identical to it: 64-column
 * base64 and a trailing newline). A private key gives its public key's hint.
 */
export function keyHint(key: KeyObject): string {
  const pem = (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'pem' });
  return createHash('sha256').update(pem).digest('hex');
}

/** True when two keys are the same public key. */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  const da = (a.type === 'private' ? createPublicKey(a) : a).export({ type: 'spki', format: 'der' });
  const db = (b.type === 'private' ? createPublicKey(b) : b).export({ type: 'spki', format: 'der' });
  return Buffer.compare(da, db) === 0;
}

import { sign, verify, type KeyObject } from 'node:crypto';
import { ecdsaHashOf } from './keys.js';

/**
 * DSSE v1 pre-authentication encoding (DSSE protocol.md):
 * "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal bytes.
 */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'utf8'), type, Buffer.from(` ${payload.length} `, 'utf8'), payload]);
}

/** Python's repr() of a bytes object (what the model_signing v0.2 bug put into the signed text). */
function pythonBytesRepr(b: Uint8Array): string {
  const hasSingle = b.includes(0x27);
  const hasDouble = b.includes(0x22);
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let s = 'b' + quote;
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c === quote.charCodeAt(0)) s += '\\' + quote;
    else if (c === 0x09) s += '\\t';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c < 0x20 || c >= 0x7f) s += '\\x' + c.toString(16).padStart(2, '0');
    else s += String.fromCharCode(c);
  }
  return s + quote;
}

/**
 * The PAE of model_signing v0.2.0 (`DSSEV1` and the payload's Python bytes repr), which its
 * signatures cover; the reference still accepts it, so Bulwark does too (verification only).
 */
export function paeCompat(payloadType: string, payload: Uint8Array): Buffer {
  return Buffer.from(`DSSEV1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} ${pythonBytesRepr(payload)}`, 'utf8');
}

/** Signs the PAE with an EC private key: a DER ECDSA signature over the curve's hash. */
export function signDsse(key: KeyObject, payloadType: string, payload: Uint8Array): Buffer {
  return sign(ecdsaHashOf(key), pae(payloadType, payload), { key, dsaEncoding: 'der' });
}

/** Verifies a DSSE signature (DER ECDSA) over the PAE, or over the v0.2 compat PAE. */
export function verifyDsse(key: KeyObject, payloadType: string, payload: Uint8Array, signature: Uint8Array): boolean {
  const hash = ecdsaHashOf(key);
  const ok = (data: Buffer): boolean => {
    try {
      return verify(hash, data, { key, dsaEncoding: 'der' }, signature);
    } catch {
      return false;
    }
  };
  return ok(pae(payloadType, payload)) || ok(paeCompat(payloadType, payload));
}

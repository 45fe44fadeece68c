import { X509Certificate, type KeyObject } from 'node:crypto';
import { BulwarkError } from '../errors.js';

/** Splits PEM text into certificates (bounded by `max`). */
export function parsePemCertificates(pem: string | Uint8Array, what: string, max: number): X509Certificate[] {
  const text = Buffer.from(pem).toString('latin1');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new BulwarkError('CONFIG_INVALID', `${what}: no PEM certificate (-----BEGIN CERTIFICATE-----) found`);
  if (blocks.length > max) throw new BulwarkError('LIMIT_EXCEEDED', `${what}: more than ${max} certificates (limit maxCertificates)`);
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new BulwarkError('CONFIG_INVALID', `${what}: certificate ${i + 1} is not a valid X.509 certificate: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** Reads a DER length at `p`; returns [length, header bytes] or undefined when malformed. */
function derLength(b: Buffer, p: number): [number, number] | undefined {
  const first = b[p];
  if (first === undefined) return undefined;
  if (first < 0x80) return [first, 1];
  const n = first & 0x7f;
  if (n === 0 || n > 4 || p + n >= b.length) return undefined;
  let len = 0;
  for (let i = 1; i <= n; i++) len = len * 256 + b[p + i]!;
  return [len, n + 1];
}

/**
 * The KeyUsage digitalSignature bit (RFC 5280 §4.2.1.3) of a certificate, or undefined when it
 * has no KeyUsage extension. node:crypto does not expose key usage bits, so this finds the
 * extension's OID (2.5.29.15) in the DER and reads the BIT STRING after it; bounded by the DER.
 */
export function digitalSignatureBit(cert: X509Certificate): boolean | undefined {
  const der = cert.raw;
  const oid = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0f]);
  const at = der.indexOf(oid);
  if (at < 0) return undefined;
  let p = at + oid.length;
  if (der[p] === 0x01) p += 3; // critical BOOLEAN
  if (der[p] !== 0x04) return undefined; // OCTET STRING wrapping the extension value
  const ol = derLength(der, p + 1);
  if (!ol) return undefined;
  p += 1 + ol[1];
  if (der[p] !== 0x03) return undefined; // BIT STRING
  const bl = derLength(der, p + 1);
  if (!bl || bl[0] < 2) return bl ? false : undefined;
  const firstByte = der[p + 1 + bl[1] + 1];
  return firstByte !== undefined && (firstByte & 0x80) !== 0;
}

const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';

/** Outcome of a chain check: the leaf's key, or why it is not trusted. */
export type ChainOutcome = { ok: true; key: KeyObject; leaf: X509Certificate; path: X509Certificate[] } | { ok: false; error: string };

function validAt(c: X509Certificate, t: Date): boolean {
  return new Date(c.validFrom).getTime() <= t.getTime() && t.getTime() <= new Date(c.validTo).getTime();
}

/**
 * Checks a certificate chain as the reference does (OMS §8.2, `certificate` method): the leaf
 * (first) chains through the bundle's intermediates to one of `roots`, every certificate being
 * valid at signing time, which, with no trusted timestamp in the bundle, is the leaf's notBefore
 * (the reference's choice); issuers must be CAs, and the leaf must allow digital signatures
 * (KeyUsage digitalSignature, or the code-signing extended key usage).
 */
export function verifyCertificateChain(chain: readonly X509Certificate[], roots: readonly X509Certificate[], maxDepth: number): ChainOutcome {
  const leaf = chain[0];
  if (!leaf) return { ok: false, error: 'the bundle has an empty certificate chain' };
  const signingTime = new Date(leaf.validFrom);
  const pool = [...chain.slice(1), ...roots];
  const isRoot = (c: X509Certificate): boolean => roots.some((r) => r.fingerprint256 === c.fingerprint256);
  const path: X509Certificate[] = [leaf];
  let cur = leaf;
  for (let depth = 0; depth <= maxDepth; depth++) {
    if (!validAt(cur, signingTime)) {
      return { ok: false, error: `certificate "${cur.subject.replaceAll('\n', ', ')}" is not valid at signing time ${signingTime.toISOString()} (valid ${cur.validFrom} to ${cur.validTo})` };
    }
    if (isRoot(cur)) {
      const usage = digitalSignatureBit(leaf);
      const eku = leaf.keyUsage ?? [];
      if (usage !== true && !eku.includes(CODE_SIGNING_EKU)) {
        return { ok: false, error: 'the signing certificate allows neither digital signatures (KeyUsage) nor code signing (ExtendedKeyUsage)' };
      }
      return { ok: true, key: leaf.publicKey, leaf, path };
    }
    const issuer = pool.find((c) => c !== cur && c.ca && cur.checkIssued(c) && cur.verify(c.publicKey));
    if (!issuer) {
      return { ok: false, error: `certificate "${cur.subject.replaceAll('\n', ', ')}" is not issued by a trusted root or by a CA certificate in the chain` };
    }
    path.push(issuer);
    cur = issuer;
  }
  return { ok: false, error: `the certificate chain is longer than ${maxDepth}` };
}

/**
 * A minimal X.509 v3 certificate builder for tests (node:crypto cannot issue certificates and
 * tests must not depend on the openssl binary). DER per X.690; only what the tests need.
 */
import { sign, type KeyObject } from 'node:crypto';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, body: Buffer): Buffer => tlv(0xa0 + n, body);
function int(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}
function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const enc: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) enc.unshift(0x80 | (v & 0x7f));
    out.push(...enc);
  }
  return tlv(0x06, Buffer.from(out));
}
function time(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return tlv(0x17, Buffer.from(s, 'ascii'));
}
const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** What to put in a test certificate. */
export interface CertSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  issuerKey: KeyObject;
  serial: number;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  /** KeyUsage digitalSignature (leaf) — CAs get keyCertSign. */
  digitalSignature: boolean;
  /** Extended key usage OIDs (e.g. code signing 1.3.6.1.5.5.7.3.3). */
  eku?: string[];
}

/** Builds a DER certificate signed with ECDSA-SHA256 by `issuerKey`; returns PEM. */
export function makeCertificate(s: CertSpec): string {
  const spki = s.publicKey.export({ type: 'spki', format: 'der' });
  const exts: Buffer[] = [seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq(...(s.ca ? [tlv(0x01, Buffer.from([0xff]))] : []))))];
  const ku = s.ca ? Buffer.from([0x01, 0x06]) : s.digitalSignature ? Buffer.from([0x07, 0x80]) : Buffer.from([0x05, 0x20]);
  exts.push(seq(oid('2.5.29.15'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, tlv(0x03, ku))));
  if (s.eku) exts.push(seq(oid('2.5.29.37'), tlv(0x04, seq(...s.eku.map(oid)))));
  const tbs = seq(explicit(0, int(2)), int(s.serial), ECDSA_SHA256, name(s.issuer), seq(time(s.notBefore), time(s.notAfter)), name(s.subject), spki, explicit(3, seq(...exts)));
  const sig = sign('sha256', tbs, { key: s.issuerKey, dsaEncoding: 'der' });
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), sig])));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

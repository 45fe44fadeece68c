import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BULWARK_PREDICATE_PREFIX, kindOfPredicateType, predicateTypeFor, signStatement, statementForReport, verifyAttestation, type AttestationBundle } from '../../src/attest/index.js';
import { isBulwarkError } from '../../src/errors.js';
import type { Report } from '../../src/report/types.js';
import { runBulwark } from '../helpers.js';
import { makeCertificate } from '../sign/x509.js';

const DIGEST = 'a'.repeat(64);

function sampleReport(over: Partial<Report> = {}): Report {
  return {
    schemaVersion: 1,
    kind: 'scan',
    tool: { name: 'bulwark', version: '0.0.0-test' },
    target: 'model.pkl',
    subjects: [{ name: 'model.pkl', digest: { sha256: DIGEST } }],
    rules: [],
    findings: [{ ruleId: 'BW-PKL-001', severity: 'critical', message: 'os.system', location: { uri: 'model.pkl' }, fingerprint: 'f'.repeat(32) }],
    metrics: { files: 1 },
    errors: [],
    skipped: [],
    complete: true,
    ...over,
  };
}

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const privPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' });
const pubPem = keys.publicKey.export({ type: 'spki', format: 'pem' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherPub = other.publicKey.export({ type: 'spki', format: 'pem' });

function tamper(bundle: AttestationBundle, edit: (statement: Record<string, unknown>) => void): string {
  const st = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as Record<string, unknown>;
  edit(st);
  return JSON.stringify({ ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payload: Buffer.from(JSON.stringify(st)).toString('base64') } });
}

describe('statementForReport', () => {
  it('makes an in-toto Statement v1 about the subjects with the report as predicate', () => {
    const r = sampleReport();
    const st = statementForReport(r);
    expect(st._type).toBe('https://in-toto.io/Statement/v1');
    expect(st.subject).toEqual([{ name: 'model.pkl', digest: { sha256: DIGEST } }]);
    expect(st.predicateType).toBe('https://bulwark.dev/attestation/scan/v1');
    expect(st.predicate).toBe(r);
  });

  it('refuses a report without subjects, naming the kind and target', () => {
    expect.assertions(3);
    try {
      statementForReport(sampleReport({ subjects: [], kind: 'data', target: 'train.csv' }));
    } catch (err) {
      expect(isBulwarkError(err, 'USAGE')).toBe(true);
      expect((err as Error).message).toMatch(/data report of train\.csv has no subjects/);
      expect((err as Error).message).toMatch(/digest/);
    }
  });

  it('refuses a subject without a sha256 digest and a kind that cannot be a URI segment', () => {
    expect(() => statementForReport(sampleReport({ subjects: [{ name: 'x', digest: { sha256: 'zz' } }] }))).toThrow(/subjects\[0\].*sha256/);
    expect(() => predicateTypeFor('Bad Kind/..')).toThrow(/cannot name a predicate type/);
    expect(kindOfPredicateType(`${BULWARK_PREDICATE_PREFIX}drift/v1`)).toBe('drift');
    expect(kindOfPredicateType('https://slsa.dev/provenance/v1')).toBeUndefined();
  });
});

describe('signStatement / verifyAttestation (key)', () => {
  it('round-trips: a DSSE in-toto envelope in a Sigstore v0.3 bundle, verified with the public key', async () => {
    const r = sampleReport();
    const bundle = await signStatement(statementForReport(r), { privateKey: privPem });
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    expect('publicKey' in bundle.verificationMaterial).toBe(true);
    const v = verifyAttestation(JSON.stringify(bundle), { trust: { publicKey: pubPem } });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.report).toEqual(r);
    expect(v.signer.kind).toBe('key');
    expect(v.statement.predicateType).toBe('https://bulwark.dev/attestation/scan/v1');
  });

  it('is deterministic for a deterministic report (same payload bytes)', async () => {
    const a = await signStatement(statementForReport(sampleReport()), { privateKey: privPem });
    const b = await signStatement(statementForReport(sampleReport()), { privateKey: privPem });
    expect(a.dsseEnvelope.payload).toBe(b.dsseEnvelope.payload);
  });

  it('fails on a tampered payload, a wrong key, a wrong payload type and a non-bundle', async () => {
    const bundle = await signStatement(statementForReport(sampleReport()), { privateKey: privPem });
    const t = verifyAttestation(tamper(bundle, (s) => ((s.predicate as Report).findings = [])), { trust: { publicKey: pubPem } });
    expect(t).toMatchObject({ ok: false, failure: 'bad-signature' });
    expect(!t.ok && t.error).toMatch(/altered/);
    const w = verifyAttestation(JSON.stringify(bundle), { trust: { publicKey: otherPub } });
    expect(w).toMatchObject({ ok: false, failure: 'untrusted' });
    expect(!w.ok && w.error).toMatch(/another key/);
    const pt = verifyAttestation(JSON.stringify({ ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payloadType: 'text/plain' } }), { trust: { publicKey: pubPem } });
    expect(pt).toMatchObject({ ok: false, failure: 'malformed' });
    expect(!pt.ok && pt.error).toMatch(/payloadType/);
    expect(verifyAttestation('{not json', { trust: { publicKey: pubPem } })).toMatchObject({ ok: false, failure: 'malformed' });
    expect(verifyAttestation('{}', { trust: { publicKey: pubPem } })).toMatchObject({ ok: false, failure: 'malformed' });
  });

  it('a hint-less bundle with a swapped signature still fails on the signature', async () => {
    const bundle = await signStatement(statementForReport(sampleReport()), { privateKey: privPem });
    const forged = await signStatement(statementForReport(sampleReport({ findings: [] })), { privateKey: other.privateKey.export({ type: 'pkcs8', format: 'pem' }) });
    const mixed = { ...forged, verificationMaterial: { publicKey: {}, tlogEntries: [] }, dsseEnvelope: { ...forged.dsseEnvelope, signatures: bundle.dsseEnvelope.signatures } };
    expect(verifyAttestation(JSON.stringify(mixed), { trust: { publicKey: pubPem } })).toMatchObject({ ok: false, failure: 'bad-signature' });
  });

  it('rejects a signed predicate that is not a valid report, or whose subjects differ', async () => {
    const badReport = await signStatement({ ...statementForReport(sampleReport()), predicate: { schemaVersion: 2 } }, { privateKey: privPem });
    const v = verifyAttestation(JSON.stringify(badReport), { trust: { publicKey: pubPem } });
    expect(v).toMatchObject({ ok: false, failure: 'malformed' });
    expect(!v.ok && v.error).toMatch(/predicate\.schemaVersion/);
    const st = statementForReport(sampleReport());
    const moved = await signStatement({ ...st, subject: [{ name: 'other', digest: { sha256: 'b'.repeat(64) } }] }, { privateKey: privPem });
    expect(verifyAttestation(JSON.stringify(moved), { trust: { publicKey: pubPem } })).toMatchObject({ ok: false, failure: 'malformed' });
    const kindSwap = await signStatement({ ...st, predicateType: predicateTypeFor('verify') }, { privateKey: privPem });
    expect(verifyAttestation(JSON.stringify(kindSwap), { trust: { publicKey: pubPem } })).toMatchObject({ ok: false, failure: 'malformed' });
  });

  it('accepts other predicate types without a report, and refuses bad key material with CONFIG_INVALID', async () => {
    const st = { ...statementForReport(sampleReport()), predicateType: 'https://example.com/x/v1', predicate: { any: 1 } };
    const v = verifyAttestation(JSON.stringify(await signStatement(st, { privateKey: privPem })), { trust: { publicKey: pubPem } });
    expect(v.ok && v.report).toBeUndefined();
    expect(() => verifyAttestation('{}', { trust: { publicKey: 'nope' } })).toThrow(/attestation public key/);
    await expect(signStatement(st, { privateKey: 'nope' })).rejects.toThrow(/attestation private key/);
  });

  it('enforces the bundle size limit', async () => {
    const bundle = JSON.stringify(await signStatement(statementForReport(sampleReport()), { privateKey: privPem }));
    expect(verifyAttestation(bundle, { trust: { publicKey: pubPem }, limits: { maxBundleBytes: 100 } })).toMatchObject({ ok: false, error: expect.stringMatching(/maxBundleBytes/) as unknown });
  });
});

describe('certificate chains', () => {
  const now = Date.now();
  const day = 86_400_000;
  const rootKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leafKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const root = makeCertificate({ subject: 'Attest Root', issuer: 'Attest Root', publicKey: rootKeys.publicKey, issuerKey: rootKeys.privateKey, serial: 1, notBefore: new Date(now - 10 * day), notAfter: new Date(now + 3650 * day), ca: true, digitalSignature: false });
  const leaf = makeCertificate({ subject: 'ml-release', issuer: 'Attest Root', publicKey: leafKeys.publicKey, issuerKey: rootKeys.privateKey, serial: 2, notBefore: new Date(now - day), notAfter: new Date(now + 30 * day), ca: false, digitalSignature: true });
  const leafPem = leafKeys.privateKey.export({ type: 'pkcs8', format: 'pem' });

  it('signs with a certificate and verifies against the root; a key trust refuses it', async () => {
    const bundle = await signStatement(statementForReport(sampleReport()), { privateKey: leafPem, certificate: leaf });
    const v = verifyAttestation(JSON.stringify(bundle), { trust: { certificateRoots: root } });
    expect(v.ok).toBe(true);
    expect(v.ok && v.signer.kind === 'certificate' && v.signer.subject).toMatch(/ml-release/);
    expect(verifyAttestation(JSON.stringify(bundle), { trust: { publicKey: pubPem } })).toMatchObject({ ok: false, failure: 'untrusted' });
    const keyBundle = await signStatement(statementForReport(sampleReport()), { privateKey: privPem });
    expect(verifyAttestation(JSON.stringify(keyBundle), { trust: { certificateRoots: root } })).toMatchObject({ ok: false, failure: 'untrusted' });
  });

  it('refuses a certificate that is not the private key\'s', async () => {
    await expect(signStatement(statementForReport(sampleReport()), { privateKey: privPem, certificate: leaf })).rejects.toThrow(/not the private key/);
  });
});

describe('bulwark attest (CLI)', () => {
  it('an unset --password-env variable is a usage error naming it', async () => {
    const r = await runBulwark(['attest', 'report.json', '--key', 'key.pem', '--password-env', 'NOPE']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--password-env: environment variable NOPE is not set');
  });
});

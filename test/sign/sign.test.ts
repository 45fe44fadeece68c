import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../src/errors.js';
import { keyHint, signModel, verifyModel, type SignerSpec } from '../../src/sign/index.js';
import { tempDir, tinyCopy } from './helpers.js';
import { makeCertificate } from './x509.js';

function ecKeys(curve: string): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: curve });
}
const p256 = ecKeys('P-256');
const pubPem = p256.publicKey.export({ type: 'spki', format: 'pem' });
const keySigner: SignerSpec = { kind: 'key', privateKey: p256.privateKey.export({ type: 'pkcs8', format: 'pem' }) };

function decodeBundle(path: string): { bundle: Record<string, unknown>; statement: Record<string, unknown> } {
  const bundle = JSON.parse(readFileSync(path, 'utf8')) as { dsseEnvelope: { payload: string } };
  return { bundle, statement: JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as Record<string, unknown> };
}

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('signModel with a key', () => {
  it('writes the layout every implementation accepts, and verifies', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    const res = await signModel({ modelPath: t.model, signer: keySigner, method: 'shards', shardSize: 1024 });
    expect(res.signaturePath).toBe(join(t.model, 'model.sig'));
    const { bundle, statement } = decodeBundle(res.signaturePath);
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial).toEqual({ publicKey: { hint: keyHint(p256.publicKey) }, tlogEntries: [] });
    expect((bundle.dsseEnvelope as { signatures: unknown[] }).signatures).toEqual([{ sig: expect.any(String) as unknown, keyid: '' }]);
    const raw = Buffer.from((bundle.dsseEnvelope as { payload: string }).payload, 'base64').toString('utf8');
    expect(raw).toMatch(/"shard_size": 1024[,\n]/);
    const pred = statement.predicate as { serialization: Record<string, unknown>; resources: { name: string; algorithm: string }[] };
    expect(pred.serialization).toMatchObject({ method: 'shards', hash_type: 'sha256', shard_size: 1024, allow_symlinks: false });
    expect(pred.serialization.ignore_paths).toContain('model.sig');
    expect(pred.resources.every((r) => r.algorithm === 'sha256-sharded-1024')).toBe(true);
    const names = pred.resources.map((r) => r.name);
    expect(names).toEqual([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(names.indexOf('sub-x.txt:0:8')).toBeLessThan(names.indexOf('sub/a-b.txt:0:7'));
    expect(names).not.toContain('empty.bin:0:0');
    const report = await verifyModel({ modelPath: t.model, trust: { kind: 'key', publicKey: pubPem } });
    expect(report.findings).toEqual([]);
    expect(report.subjects[0]?.digest.sha256).toBe(res.manifest.rootDigest);
  });

  it('names a single file "." by default and by its name on request', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    const file = join(t.model, 'weights.bin');
    const a = await signModel({ modelPath: file, signer: keySigner });
    expect(a.signaturePath).toBe(`${file}.sig`);
    expect(a.manifest.resources.map((r) => r.name)).toEqual(['.']);
    expect(a.manifest.rootDigest).toBe('c2756b5bcd3a31381cd4fffcd9df4c4799312e5da890c19b9285ac5348591aea');
    const b = await signModel({ modelPath: file, signer: keySigner, singleFileName: 'basename', signaturePath: join(t.dir, 'b.sig') });
    expect(b.manifest.resources.map((r) => r.name)).toEqual(['weights.bin']);
    for (const sig of [a.signaturePath, b.signaturePath]) {
      const r = await verifyModel({ modelPath: file, signaturePath: sig, trust: { kind: 'key', publicKey: pubPem } });
      expect(r.findings).toEqual([]);
    }
  });

  for (const [curve, format] of [
    ['P-256', 'sec1'],
    ['P-384', 'pkcs8'],
    ['P-521', 'pkcs8'],
  ] as const) {
    it(`signs with ${curve} (${format}) and blake2b`, async () => {
      const t = tinyCopy();
      cleanup = t.cleanup;
      const k = ecKeys(curve);
      const pem = k.privateKey.export({ type: format, format: 'pem' });
      await signModel({ modelPath: t.model, signer: { kind: 'key', privateKey: pem }, hashType: 'blake2b' });
      const r = await verifyModel({ modelPath: t.model, trust: { kind: 'key', publicKey: k.publicKey.export({ type: 'spki', format: 'der' }) } });
      expect(r.findings).toEqual([]);
    });
  }

  it('signs with an encrypted PKCS#8 key and its password, and refuses it without', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    const pem = p256.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'test-only' });
    await expect(signModel({ modelPath: t.model, signer: { kind: 'key', privateKey: pem } })).rejects.toThrow(/password/);
    await signModel({ modelPath: t.model, signer: { kind: 'key', privateKey: pem, password: 'test-only' } });
    expect((await verifyModel({ modelPath: t.model, trust: { kind: 'key', publicKey: pubPem } })).findings).toEqual([]);
  });

  it('refuses non-EC keys, empty models and symlinks unless allowed', async () => {
    const d = tempDir();
    cleanup = d.cleanup;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(join(d.dir, 'w.bin'), 'weights');
    await expect(signModel({ modelPath: d.dir, signer: { kind: 'key', privateKey: rsa } })).rejects.toThrow(/elliptic-curve/);
    const empty = join(d.dir, 'empty');
    mkdirSync(join(empty, '.git'), { recursive: true });
    writeFileSync(join(empty, '.git', 'HEAD'), 'ref');
    await expect(signModel({ modelPath: empty, signer: keySigner })).rejects.toSatisfy((e) => isBulwarkError(e, 'USAGE') && /empty model/.test(e.message));
    const linked = join(d.dir, 'linked');
    mkdirSync(linked);
    writeFileSync(join(linked, 'a.bin'), 'a');
    symlinkSync(join(d.dir, 'w.bin'), join(linked, 'b.bin'));
    await expect(signModel({ modelPath: linked, signer: keySigner })).rejects.toSatisfy((e) => isBulwarkError(e, 'UNSUPPORTED') && /b\.bin/.test(e.message));
    const res = await signModel({ modelPath: linked, signer: keySigner, allowSymlinks: true });
    expect(res.manifest.resources.map((r) => r.name)).toEqual(['a.bin', 'b.bin']);
    expect(res.manifest.warnings.join()).toMatch(/outside the model/);
    expect((await verifyModel({ modelPath: linked, trust: { kind: 'key', publicKey: pubPem } })).findings).toEqual([]);
  });

  it('honours --ignore paths, recorded in the signature', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    const res = await signModel({ modelPath: t.model, signer: keySigner, ignorePaths: ['tokenizer'] });
    expect(res.manifest.resources.map((r) => r.name)).not.toContain('tokenizer/vocab.txt');
    expect(res.manifest.serialization.ignore_paths).toContain('tokenizer');
    writeFileSync(join(t.model, 'tokenizer', 'new.txt'), 'x');
    expect((await verifyModel({ modelPath: t.model, trust: { kind: 'key', publicKey: pubPem } })).findings).toEqual([]);
  });
});

describe('verifyModel failures', () => {
  it('reports a wrong key, a forged statement and a malformed or missing bundle', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    const res = await signModel({ modelPath: t.model, signer: keySigner });
    const other = ecKeys('P-256').publicKey.export({ type: 'spki', format: 'pem' });
    const wrong = await verifyModel({ modelPath: t.model, trust: { kind: 'key', publicKey: other } });
    expect(wrong.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-005']);
    expect(wrong.findings[0]!.message).toMatch(/another key/);

    const bundle = JSON.parse(readFileSync(res.signaturePath, 'utf8')) as { dsseEnvelope: { payload: string } };
    const forged = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8').replace(/"digest": "[0-9a-f]{8}/, '"digest": "00000000');
    bundle.dsseEnvelope.payload = Buffer.from(forged).toString('base64');
    writeFileSync(join(t.dir, 'forged.sig'), JSON.stringify(bundle));
    const bad = await verifyModel({ modelPath: t.model, signaturePath: join(t.dir, 'forged.sig'), trust: { kind: 'key', publicKey: pubPem } });
    expect(bad.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-004']);

    writeFileSync(join(t.dir, 'junk.sig'), '{"mediaType": 3}');
    const junk = await verifyModel({ modelPath: t.model, signaturePath: join(t.dir, 'junk.sig'), trust: { kind: 'key', publicKey: pubPem } });
    expect(junk.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-006']);

    const none = await verifyModel({ modelPath: t.model, signaturePath: join(t.dir, 'absent.sig'), trust: { kind: 'key', publicKey: pubPem } });
    expect(none.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-006']);
    expect(none.findings[0]!.message).toMatch(/not signed/);
  });

  it('reports a symlink the signature does not allow', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    await signModel({ modelPath: t.model, signer: keySigner });
    symlinkSync(join(t.model, 'weights.bin'), join(t.model, 'alias.bin'));
    const r = await verifyModel({ modelPath: t.model, trust: { kind: 'key', publicKey: pubPem } });
    expect(r.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-007']);
    expect(r.findings[0]!.message).toContain('alias.bin');
  });

  it('accepts unsigned files only when asked', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    await signModel({ modelPath: t.model, signer: keySigner });
    writeFileSync(join(t.model, 'notes.txt'), 'x');
    expect((await verifyModel({ modelPath: t.model, trust: { kind: 'key', publicKey: pubPem } })).findings.map((f) => f.ruleId)).toEqual(['BW-SIG-003']);
    expect((await verifyModel({ modelPath: t.model, trust: { kind: 'key', publicKey: pubPem }, ignoreUnsigned: true })).findings).toEqual([]);
  });
});

describe('certificate signing', () => {
  const day = 86_400_000;
  const now = Date.now();
  const rootKeys = ecKeys('P-256');
  const interKeys = ecKeys('P-384');
  const leafKeys = ecKeys('P-256');
  const root = makeCertificate({ subject: 'Test Root', issuer: 'Test Root', publicKey: rootKeys.publicKey, issuerKey: rootKeys.privateKey, serial: 1, notBefore: new Date(now - 10 * day), notAfter: new Date(now + 3650 * day), ca: true, digitalSignature: false });
  const inter = makeCertificate({ subject: 'Test Intermediate', issuer: 'Test Root', publicKey: interKeys.publicKey, issuerKey: rootKeys.privateKey, serial: 2, notBefore: new Date(now - 9 * day), notAfter: new Date(now + 365 * day), ca: true, digitalSignature: false });
  const leaf = (o: { digitalSignature?: boolean; eku?: string[]; notBefore?: Date } = {}): string =>
    makeCertificate({ subject: 'Test Signer', issuer: 'Test Intermediate', publicKey: leafKeys.publicKey, issuerKey: interKeys.privateKey, serial: 3, notBefore: o.notBefore ?? new Date(now - day), notAfter: new Date(now + 30 * day), ca: false, digitalSignature: o.digitalSignature ?? true, ...(o.eku ? { eku: o.eku } : {}) });
  const leafPem = leafKeys.privateKey.export({ type: 'sec1', format: 'pem' });

  it('puts the chain in the bundle and verifies it against the root', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    expect(new X509Certificate(leaf()).checkIssued(new X509Certificate(inter))).toBe(true);
    const res = await signModel({ modelPath: t.model, signer: { kind: 'certificate', privateKey: leafPem, certificate: leaf(), chain: inter } });
    const vm = (res.bundle as { verificationMaterial: { x509CertificateChain: { certificates: unknown[] } } }).verificationMaterial;
    expect(vm.x509CertificateChain.certificates).toHaveLength(2);
    expect((await verifyModel({ modelPath: t.model, trust: { kind: 'certificate', roots: root } })).findings).toEqual([]);
    // The same signature against a key, or another root: untrusted.
    const other = ecKeys('P-256');
    const otherRoot = makeCertificate({ subject: 'Other Root', issuer: 'Other Root', publicKey: other.publicKey, issuerKey: other.privateKey, serial: 9, notBefore: new Date(now - day), notAfter: new Date(now + day), ca: true, digitalSignature: false });
    const r1 = await verifyModel({ modelPath: t.model, trust: { kind: 'certificate', roots: otherRoot } });
    expect(r1.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-005']);
    const r2 = await verifyModel({ modelPath: t.model, trust: { kind: 'key', publicKey: leafKeys.publicKey.export({ type: 'spki', format: 'pem' }) } });
    expect(r2.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-005']);
    expect(r2.findings[0]!.message).toMatch(/certificate/);
  });

  it('refuses a leaf that cannot sign, a chain expired at signing time, and a key that is not the certificate\'s', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    await signModel({ modelPath: t.model, signer: { kind: 'certificate', privateKey: leafPem, certificate: leaf({ digitalSignature: false }), chain: inter } });
    const r = await verifyModel({ modelPath: t.model, trust: { kind: 'certificate', roots: root } });
    expect(r.findings[0]?.message).toMatch(/digital signatures/);
    await signModel({ modelPath: t.model, signer: { kind: 'certificate', privateKey: leafPem, certificate: leaf({ digitalSignature: false, eku: ['1.3.6.1.5.5.7.3.3'] }), chain: inter } });
    expect((await verifyModel({ modelPath: t.model, trust: { kind: 'certificate', roots: root } })).findings).toEqual([]);
    await signModel({ modelPath: t.model, signer: { kind: 'certificate', privateKey: leafPem, certificate: leaf({ notBefore: new Date(now + 400 * day) }), chain: inter } });
    const late = await verifyModel({ modelPath: t.model, trust: { kind: 'certificate', roots: root } });
    expect(late.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-005']);
    expect(late.findings[0]!.message).toMatch(/not valid at signing time/);
    await expect(signModel({ modelPath: t.model, signer: { kind: 'certificate', privateKey: p256.privateKey.export({ type: 'pkcs8', format: 'pem' }), certificate: leaf(), chain: inter } })).rejects.toThrow(/not the private key/);
  });
});

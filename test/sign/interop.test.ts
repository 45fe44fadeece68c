import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeManifest, keyHint, loadPublicKey, verifyModel } from '../../src/sign/index.js';
import { PUB_KEY, PY_SIGNED, TINY, tinyCopy } from './helpers.js';

const publicKey = readFileSync(PUB_KEY);
const trust = { kind: 'key' as const, publicKey };

const cases = [
  { sig: 'tiny-model.files.sig', model: TINY, root: 'fab85866be99ef2d149c98f0c06d6bbea54a6d7366df811705677281f44b5e5e', name: 'tiny-model' },
  { sig: 'tiny-model.files.pkcs8key.sig', model: TINY, root: 'fab85866be99ef2d149c98f0c06d6bbea54a6d7366df811705677281f44b5e5e', name: 'tiny-model' },
  { sig: 'tiny-model.shards1024.sig', model: TINY, root: '2e2d6b79615324eca2b5baa030d324f5273efd58fab8b33354b9e5314f8270f8', name: 'tiny-model' },
  { sig: 'tiny-model.blake2b.sig', model: TINY, root: 'a6cfef64cc3c793a7d9f963dc9cf01aa8cb3a5efef07aab5fdc8fd2266e83c99', name: 'tiny-model' },
  { sig: 'weights.bin.single-file.sig', model: join(TINY, 'weights.bin'), root: 'c2756b5bcd3a31381cd4fffcd9df4c4799312e5da890c19b9285ac5348591aea', name: 'weights.bin' },
];

describe('signatures made by the Python reference', () => {
  it('has the key hint the reference computes (SHA-256 of the SPKI PEM)', () => {
    expect(keyHint(loadPublicKey(publicKey, 'key'))).toBe('b34d2c481f94a9162880e719ba21cd89f2821d6a5c6f2e674336500cd938fd28');
  });

  for (const c of cases) {
    it(`verifies ${c.sig}`, async () => {
      const report = await verifyModel({ modelPath: c.model, signaturePath: join(PY_SIGNED, c.sig), trust });
      expect(report.findings).toEqual([]);
      expect(report.errors).toEqual([]);
      expect(report.complete).toBe(true);
      expect(report.kind).toBe('verify');
      expect(report.subjects).toEqual([{ name: c.name, digest: { sha256: c.root } }]);
    });
  }

  it('verifies the signature the reference CLI put inside the model (model.sig, ignored)', async () => {
    const report = await verifyModel({ modelPath: TINY, trust });
    expect(report.findings).toEqual([]);
    expect(report.subjects[0]?.digest.sha256).toBe('fab85866be99ef2d149c98f0c06d6bbea54a6d7366df811705677281f44b5e5e');
  });

  it('computes the reference digests and both root digests', async () => {
    const py = await computeManifest({ modelPath: TINY, order: 'path-components', signaturePath: join(TINY, 'model.sig') });
    expect(py.rootDigest).toBe('fab85866be99ef2d149c98f0c06d6bbea54a6d7366df811705677281f44b5e5e');
    const cp = await computeManifest({ modelPath: TINY, signaturePath: join(TINY, 'model.sig') });
    expect(cp.rootDigest).toBe('679a42dfe6cfc08d8a1dafe61014d1e80c6336cce82f87264a3bea5076dea999');
    expect(cp.resources.map((r) => r.name)).toEqual(['README.md', 'config.json', 'empty.bin', 'sub-x.txt', 'sub/a-b.txt', 'tokenizer.json', 'tokenizer/vocab.txt', 'weights.bin']);
    const shards = await computeManifest({ modelPath: TINY, method: 'shards', shardSize: 1024, order: 'path-components', signaturePath: join(TINY, 'model.sig') });
    expect(shards.rootDigest).toBe('2e2d6b79615324eca2b5baa030d324f5273efd58fab8b33354b9e5314f8270f8');
    const blake = await computeManifest({ modelPath: TINY, hashType: 'blake2b', order: 'path-components', signaturePath: join(TINY, 'model.sig') });
    expect(blake.rootDigest).toBe('a6cfef64cc3c793a7d9f963dc9cf01aa8cb3a5efef07aab5fdc8fd2266e83c99');
    const single = await computeManifest({ modelPath: join(TINY, 'weights.bin') });
    expect(single.rootDigest).toBe('c2756b5bcd3a31381cd4fffcd9df4c4799312e5da890c19b9285ac5348591aea');
    expect(single.resources[0]?.name).toBe('.');
  });
});

describe('tampering with a copy of the tiny model', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => {
    cleanup?.();
    cleanup = undefined;
  });

  for (const sig of ['tiny-model.files.sig', 'tiny-model.shards1024.sig', 'tiny-model.blake2b.sig']) {
    it(`${sig}: a changed byte fails, naming the file`, async () => {
      const t = tinyCopy();
      cleanup = t.cleanup;
      const p = join(t.model, 'weights.bin');
      const b = readFileSync(p);
      b[2000] = b[2000]! ^ 1;
      writeFileSync(p, b);
      const report = await verifyModel({ modelPath: t.model, signaturePath: join(PY_SIGNED, sig), trust });
      expect(report.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-001']);
      expect(report.findings[0]!.message).toContain('weights.bin');
      expect(report.findings[0]!.location.uri).toMatch(/tiny-model\/weights\.bin$/);
      if (sig.includes('shards')) expect(report.findings[0]!.message).toContain('1024:2048');
    });

    it(`${sig}: an added file fails, naming the file`, async () => {
      const t = tinyCopy();
      cleanup = t.cleanup;
      writeFileSync(join(t.model, 'sub', 'extra.py'), 'print("bulwark-inert-fixture")\n');
      const report = await verifyModel({ modelPath: t.model, signaturePath: join(PY_SIGNED, sig), trust });
      expect(report.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-003']);
      expect(report.findings[0]!.message).toContain('sub/extra.py');
    });

    it(`${sig}: a removed file fails, naming the file`, async () => {
      const t = tinyCopy();
      cleanup = t.cleanup;
      rmSync(join(t.model, 'tokenizer', 'vocab.txt'));
      const report = await verifyModel({ modelPath: t.model, signaturePath: join(PY_SIGNED, sig), trust });
      expect(report.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-002']);
      expect(report.findings[0]!.message).toContain('tokenizer/vocab.txt');
    });
  }

  it('an appended byte in shards mode is a changed file', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    appendFileSync(join(t.model, 'config.json'), ' ');
    const report = await verifyModel({ modelPath: t.model, signaturePath: join(PY_SIGNED, 'tiny-model.shards1024.sig'), trust });
    expect(report.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-001']);
    expect(report.findings[0]!.message).toContain('config.json');
  });

  it('a changed single-file model fails', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    appendFileSync(join(t.model, 'weights.bin'), 'x');
    const report = await verifyModel({ modelPath: join(t.model, 'weights.bin'), signaturePath: join(PY_SIGNED, 'weights.bin.single-file.sig'), trust });
    expect(report.findings.map((f) => f.ruleId)).toEqual(['BW-SIG-001']);
  });
});

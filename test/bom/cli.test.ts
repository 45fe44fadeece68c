import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, runBulwark, tempDir } from '../helpers.js';
import { cyclonedxSchemaErrors } from './cyclonedx-schema.js';

const PROJECT = fixture('bom/project');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function tmp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('bulwark bom', () => {
  it('prints a valid CycloneDX 1.6 BOM and a summary; --fail-on low exits 1 on the dataset finding', async () => {
    const r = await runBulwark(['bom', PROJECT]);
    expect(r.code).toBe(0);
    expect(cyclonedxSchemaErrors(JSON.parse(r.stdout))).toEqual([]);
    expect(r.stderr).toContain('bom: 1 model(s), 3 dataset(s), 5 libraries, 2610 parameters');
    expect(r.stderr).toContain('LOW BW-BOM-002 stanfordnlp/imdb');
    expect((await runBulwark(['bom', PROJECT, '--fail-on', 'low', '-q'])).code).toBe(1);
  });

  it('writes SPDX to --output and the report to --report; --reproducible with SOURCE_DATE_EPOCH is byte-identical', async () => {
    const dir = tmp();
    const env = { SOURCE_DATE_EPOCH: '1763726400' };
    const a = await runBulwark(['bom', PROJECT, '--format', 'spdx', '--reproducible', '-o', join(dir, 'a.json'), '--report', join(dir, 'r.json')], env);
    const b = await runBulwark(['bom', PROJECT, '--format', 'spdx', '--reproducible', '-o', join(dir, 'b.json')], env);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe(readFileSync(join(dir, 'b.json'), 'utf8'));
    const doc = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as { '@graph': { type: string; created?: string }[] };
    expect(doc['@graph'].find((n) => n.type === 'CreationInfo')?.created).toBe('2025-11-21T12:00:00Z');
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'))).toMatchObject({ kind: 'bom', schemaVersion: 1 });
  });

  it('exits 2 with a clear message for a missing path or a bad SOURCE_DATE_EPOCH', async () => {
    const r = await runBulwark(['bom', join(PROJECT, 'missing')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing: no such file or directory/);
    expect((await runBulwark(['bom', PROJECT, '--reproducible'], { SOURCE_DATE_EPOCH: 'yesterday' })).stderr).toMatch(/SOURCE_DATE_EPOCH 'yesterday'/);
    const dir = tmp();
    writeFileSync(join(dir, 'fp.json'), '{"kind": "data-fingerprint"}');
    const fp = await runBulwark(['bom', PROJECT, '--dataset-fingerprint', join(dir, 'fp.json'), '-o', join(dir, 'bom.json')]);
    expect(fp.code).toBe(2);
    expect(fp.stderr).toMatch(/fp\.json: not a dataset fingerprint report: field 'subjects'/);
    expect(existsSync(join(dir, 'bom.json'))).toBe(false);
  });
});

describe('bulwark provenance', () => {
  it('signs provenance for a model and verifies it; a tampered bundle fails with exit 1', async () => {
    const dir = tmp();
    const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'key.pem'), k.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'pub.pem'), k.publicKey.export({ type: 'spki', format: 'pem' }));
    const out = join(dir, 'prov.json');
    const r = await runBulwark(['provenance', '--model', join(PROJECT, 'model'), '--dataset', join(PROJECT, 'data/train.csv'), '--base-model', `distilbert/distilbert-base-uncased@sha256:${'d'.repeat(64)}`,
      '--code-revision', `https://github.com/example/tiny@${'e'.repeat(40)}`, '--param', 'epochs=3', '--param', 'lr=5e-5', '--builder-id', 'https://ci.example.com/r/1', '--key', join(dir, 'key.pem'), '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^provenance for model sha256:[0-9a-f]{64} signed/);
    const v = await runBulwark(['provenance', 'verify', out, '--public-key', join(dir, 'pub.pem'), '--model', join(PROJECT, 'model')]);
    expect(v).toMatchObject({ code: 0, stderr: '' });
    expect(v.stdout).toContain('OK: provenance signed by the given key (builder https://ci.example.com/r/1)');
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as { dsseEnvelope: { payload: string } };
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8').replace('"epochs":"3"', '"epochs":"4"');
    bundle.dsseEnvelope.payload = Buffer.from(payload).toString('base64');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bundle));
    const bad = await runBulwark(['provenance', 'verify', join(dir, 'bad.json'), '--public-key', join(dir, 'pub.pem')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/does not verify/);
  });

  it('exits 2 without --model or --key, or with a malformed --param, and writes nothing', async () => {
    const dir = tmp();
    expect((await runBulwark(['provenance', '--key', 'x.pem'])).stderr).toMatch(/--model DIR/);
    const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'key.pem'), k.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const r = await runBulwark(['provenance', '--model', join(PROJECT, 'model'), '--key', join(dir, 'key.pem'), '--param', 'oops', '-o', join(dir, 'p.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--param 'oops': expected KEY=VALUE/);
    expect(existsSync(join(dir, 'p.json'))).toBe(false);
    expect((await runBulwark(['provenance', 'verify', join(dir, 'p.json')])).code).toBe(2); // no --public-key: commander's error, not an exit
    const pw = await runBulwark(['provenance', '--model', join(PROJECT, 'model'), '--key', join(dir, 'key.pem'), '--password-env', 'NOPE', '-o', join(dir, 'p.json')]);
    expect(pw.code).toBe(2);
    expect(pw.stderr).toContain('--password-env: environment variable NOPE is not set');
    expect(existsSync(join(dir, 'p.json'))).toBe(false);
  });
});

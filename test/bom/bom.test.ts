import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BOM_RULES, buildBom } from '../../src/bom/index.js';
import { fingerprintDataset } from '../../src/data/privacy/index.js';
import { computeManifest } from '../../src/sign/index.js';
import { fixture, tempDir } from '../helpers.js';
import { cyclonedxSchemaErrors } from './cyclonedx-schema.js';

const PROJECT = fixture('bom/project');
const CLOCK = (): Date => new Date('2026-11-21T12:00:00Z');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** A writable copy of the fixture project. */
function copyProject(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  cpSync(PROJECT, join(t.dir, 'project'), { recursive: true });
  return join(t.dir, 'project');
}

type Cdx = { serialNumber: string; metadata: { timestamp?: string }; components: Record<string, unknown>[]; dependencies: { ref: string; dependsOn?: string[] }[] };

describe('buildBom (CycloneDX 1.6)', () => {
  it('describes the fixture project: model with modelCard, datasets, libraries; valid against the official schema', async () => {
    const { document, report } = await buildBom({ path: PROJECT, format: 'cyclonedx', clock: CLOCK, reproducible: true });
    expect(cyclonedxSchemaErrors(document)).toEqual([]);
    const doc = document as Cdx;
    expect(doc.metadata.timestamp).toBe('2026-11-21T12:00:00.000Z');
    const model = doc.components.find((c) => c.type === 'machine-learning-model')!;
    expect(model.name).toBe('model');
    expect(model.licenses).toEqual([{ license: { id: 'Apache-2.0' } }]);
    const props = Object.fromEntries((model.properties as { name: string; value: string }[]).map((p) => [p.name, p.value]));
    expect(props['bulwark:model:format']).toBe('safetensors');
    expect(props['bulwark:model:parameters']).toBe('2610');
    expect(props['bulwark:model:dtype:F32']).toBe('2098');
    expect(props['bulwark:model:dtype:F16']).toBe('512');
    expect(props['bulwark:model:base-model']).toBe('distilbert/distilbert-base-uncased');
    const card = model.modelCard as { modelParameters: Record<string, unknown>; considerations: Record<string, string[]> };
    expect(card.modelParameters).toMatchObject({
      approach: { type: 'supervised' },
      task: 'text-classification',
      architectureFamily: 'distilbert',
      modelArchitecture: 'DistilBertForSequenceClassification',
      inputs: [{ format: 'text' }],
      outputs: [{ format: 'label' }],
    });
    expect((card.modelParameters.datasets as { ref: string }[]).map((d) => d.ref).sort()).toEqual(['data:file:data/test.csv', 'data:file:data/train.csv', 'data:hub:stanfordnlp/imdb']);
    expect(card.considerations.technicalLimitations?.[0]).toContain('IMDB');
    // Hashes are the model manifest's: the root digest a signature covers, and each file's SHA-256.
    const manifest = await computeManifest({ modelPath: join(PROJECT, 'model') });
    expect(model.hashes).toEqual([{ alg: 'SHA-256', content: manifest.rootDigest }]);
    const files = (model.components as { name: string; hashes: { content: string }[] }[]).map((f) => [f.name, f.hashes[0]!.content]);
    expect(files.sort()).toEqual(manifest.resources.map((r) => [r.name, r.digest]).sort());
    // Datasets and libraries.
    const train = doc.components.find((c) => c.name === 'data/train.csv')!;
    expect(train.type).toBe('data');
    expect((train.hashes as { content: string }[])[0]!.content).toMatch(/^[0-9a-f]{64}$/);
    const libs = doc.components.filter((c) => c.type === 'library').map((c) => `${String(c.name)}@${String(c.version)}`);
    expect(libs).toEqual(expect.arrayContaining(['torch@2.5.1', 'transformers@4.46.3', 'safetensors@0.4.5', 'tokenizers@0.20.3', 'datasets@3.1.0']));
    const torch = doc.components.find((c) => c.name === 'torch')!;
    expect(torch.purl).toBe('pkg:pypi/torch@2.5.1');
    expect(torch.hashes).toEqual([{ alg: 'SHA-256', content: '1f3b7fb3cf7ab97fae52161423f81be8c6b8afac8d9760823fd623994581e1a3' }]);
    const modelDeps = doc.dependencies.find((d) => d.ref === 'model:model')!.dependsOn!;
    expect(modelDeps).toEqual(expect.arrayContaining(['pkg:pypi/torch@2.5.1', 'data:file:data/train.csv']));
    // The report.
    expect(report.kind).toBe('bom');
    expect(report.subjects[0]).toEqual({ name: 'model', digest: { sha256: manifest.rootDigest } });
    expect(report.metrics).toMatchObject({ models: 1, datasets: 3, libraries: 5, components: 9, parameters: 2610 });
    expect(report.findings.map((f) => f.ruleId)).toEqual(['BW-BOM-002']);
    expect(report.complete).toBe(true);
  });

  it('is reproducible with reproducible: true and no clock (same bytes twice), random serial otherwise', async () => {
    const a = await buildBom({ path: PROJECT, format: 'cyclonedx', clock: null, reproducible: true });
    const b = await buildBom({ path: PROJECT, format: 'cyclonedx', clock: null, reproducible: true });
    expect(JSON.stringify(a.document)).toBe(JSON.stringify(b.document));
    expect((a.document as Cdx).metadata.timestamp).toBeUndefined();
    const c = await buildBom({ path: PROJECT, format: 'cyclonedx', clock: CLOCK });
    expect((c.document as Cdx).serialNumber).not.toBe((a.document as Cdx).serialNumber);
    expect(cyclonedxSchemaErrors(c.document)).toEqual([]);
  });

  it('BW-BOM-001 fires for a model card without a licence, and not with one', async () => {
    const dir = copyProject();
    const card = readFileSync(join(dir, 'model/README.md'), 'utf8');
    writeFileSync(join(dir, 'model/README.md'), card.replace('license: apache-2.0\n', ''));
    const { report, document } = await buildBom({ path: dir, format: 'cyclonedx', clock: CLOCK });
    expect(report.findings.filter((f) => f.ruleId === 'BW-BOM-001').map((f) => f.location.uri)).toEqual(['model/README.md']);
    expect(report.metrics?.models_without_licence).toBe(1);
    expect(cyclonedxSchemaErrors(document)).toEqual([]);
    const ok = await buildBom({ path: PROJECT, format: 'cyclonedx', clock: CLOCK });
    expect(ok.report.findings.some((f) => f.ruleId === 'BW-BOM-001')).toBe(false);
  });

  it('BW-BOM-002 fires for a card dataset without a digest, and not when a fingerprint report pins it', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const fp = join(t.dir, 'imdb.json');
    writeFileSync(fp, JSON.stringify({ schemaVersion: 1, kind: 'data-fingerprint', target: 'stanfordnlp/imdb', subjects: [{ name: 'imdb.parquet', digest: { sha256: 'a'.repeat(64) } }], metrics: { rows: 25000 }, fingerprint: { contentDigest: 'b'.repeat(64) } }));
    const without = await buildBom({ path: PROJECT, format: 'cyclonedx', clock: CLOCK });
    expect(without.report.findings.filter((f) => f.ruleId === 'BW-BOM-002').map((f) => f.location.uri)).toEqual(['stanfordnlp/imdb']);
    const withFp = await buildBom({ path: PROJECT, format: 'cyclonedx', clock: CLOCK, datasetFingerprints: [fp] });
    expect(withFp.report.findings.some((f) => f.ruleId === 'BW-BOM-002')).toBe(false);
    const imdb = (withFp.document as Cdx).components.find((c) => c.name === 'stanfordnlp/imdb')!;
    expect(imdb.hashes).toEqual([{ alg: 'SHA-256', content: 'a'.repeat(64) }]);
    expect(imdb.properties).toEqual(expect.arrayContaining([{ name: 'bulwark:fingerprint:contentDigest', value: 'b'.repeat(64) }, { name: 'bulwark:fingerprint:rows', value: '25000' }]));
    expect(cyclonedxSchemaErrors(withFp.document)).toEqual([]);
  });

  it('records a real `bulwark data fingerprint` report on the local dataset it fingerprints', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const report = await fingerprintDataset({ path: join(PROJECT, 'data/train.csv') });
    writeFileSync(join(t.dir, 'train.fp.json'), JSON.stringify(report));
    const { document } = await buildBom({ path: PROJECT, format: 'cyclonedx', clock: CLOCK, datasetFingerprints: [join(t.dir, 'train.fp.json')] });
    const train = (document as Cdx).components.find((c) => c.name === 'data/train.csv')!;
    const props = Object.fromEntries((train.properties as { name: string; value: string }[]).map((p) => [p.name, p.value]));
    expect(props['bulwark:fingerprint:contentSha256']).toBe(report.fingerprint.contentSha256);
    expect(props['bulwark:fingerprint:rows']).toBe('4');
    expect(cyclonedxSchemaErrors(document)).toEqual([]);
  });

  it('rejects a fingerprint file that is not a fingerprint report, naming the file and field', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const bad = join(t.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ kind: 'scan', subjects: [] }));
    await expect(buildBom({ path: PROJECT, format: 'cyclonedx', datasetFingerprints: [bad] })).rejects.toThrow(/bad\.json: not a dataset fingerprint report: field 'subjects'/);
  });

  it('BW-BOM-003 fires for an unpinned library no lockfile pins, and not for a pinned one', async () => {
    const dir = copyProject();
    writeFileSync(join(dir, 'requirements.txt'), 'torch==2.5.1\naccelerate>=1.0\nsafetensors>=0.4.5\n');
    const { report } = await buildBom({ path: dir, format: 'cyclonedx', clock: CLOCK });
    const unpinned = report.findings.filter((f) => f.ruleId === 'BW-BOM-003');
    expect(unpinned.map((f) => f.evidence?.package)).toEqual(['accelerate']); // safetensors is pinned by poetry.lock
    expect(unpinned[0]!.location).toEqual({ uri: 'requirements.txt', pointer: 'line 2' });
    expect(report.metrics?.unpinned_libraries).toBe(1);
  });

  it('describes a model directory alone, and a single weights file', async () => {
    const m = await buildBom({ path: join(PROJECT, 'model'), format: 'cyclonedx', clock: CLOCK });
    expect(m.report.metrics).toMatchObject({ models: 1, libraries: 0, datasets: 1 });
    expect(cyclonedxSchemaErrors(m.document)).toEqual([]);
    const f = await buildBom({ path: join(PROJECT, 'model/model.safetensors'), format: 'cyclonedx', clock: CLOCK });
    expect(f.report.metrics?.parameters).toBe(2610);
    expect(f.report.findings.map((x) => [x.ruleId, x.location.uri])).toEqual([['BW-BOM-001', 'model.safetensors']]);
    expect(f.report.subjects.map((x) => x.name)).toEqual(['model.safetensors']);
    expect(f.report.subjects[0]!.digest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(cyclonedxSchemaErrors(f.document)).toEqual([]);
  });

  it('does not walk installed packages or tool environments (the folders the lockfile search skips)', async () => {
    const dir = copyProject();
    for (const d of ['site-packages/pkg', '.nox/py312', 'node_modules/x']) {
      mkdirSync(join(dir, d), { recursive: true });
      writeFileSync(join(dir, d, 'train.csv'), 'a,b\n1,2\n');
    }
    const { report } = await buildBom({ path: dir, format: 'cyclonedx', clock: CLOCK });
    expect(report.subjects.map((s) => s.name).filter((n) => n.endsWith('/train.csv'))).toEqual(['data/train.csv']);
  });

  it('reports an unreadable weights file as an error, not a crash', async () => {
    const dir = copyProject();
    writeFileSync(join(dir, 'model/broken.safetensors'), Buffer.from([1, 2, 3]));
    const { report } = await buildBom({ path: dir, format: 'cyclonedx', clock: CLOCK });
    expect(report.complete).toBe(false);
    expect(report.errors.map((e) => e.uri)).toEqual(['model/broken.safetensors']);
    rmSync(join(dir, 'model/broken.safetensors'));
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(buildBom({ path: PROJECT, format: 'cyclonedx', signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('fails with FILE_NOT_FOUND for a missing path', async () => {
    await expect(buildBom({ path: join(PROJECT, 'nope'), format: 'cyclonedx' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });

  it('exports BOM_RULES with well-formed ids', () => {
    for (const r of BOM_RULES) expect(r.id).toMatch(/^BW-BOM-\d{3}$/);
  });
});

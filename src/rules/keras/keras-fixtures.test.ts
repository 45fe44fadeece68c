import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKerasH5, parseKerasV3Config, sniffKerasZip, type KerasFacts } from '../../formats/keras/index.js';
import { bufferSource } from '../../io/byte-source.js';
import { DEFAULT_LIMITS } from '../../io/limits.js';
import { createInflateBudget, openZipMember, readZipDirectory } from '../../io/index.js';
import type { FindingDraft, Severity } from '../../report/types.js';
import { compileCallablePolicy } from '../pickle/callable-policy.js';
import type { RuleContext } from '../types.js';
import { KERAS_RULES } from './keras-rules.js';

const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);
const path = (rel: string): string => new URL(rel, FIXTURES).pathname;

interface Entry {
  path: string;
  expect: 'clean' | { rules: string[]; mentions?: string[] };
}
const manifest = JSON.parse(readFileSync(path('keras/manifest.json'), 'utf8')) as Entry[];

/** Reads a fixture the way the scanner will: .keras through the zip reader, .h5 by path. */
async function factsOf(rel: string): Promise<KerasFacts> {
  if (rel.endsWith('.h5')) return parseKerasH5({ path: path(rel), uri: rel }, { limits: DEFAULT_LIMITS });
  const src = bufferSource(readFileSync(path(rel)), rel);
  const dir = await readZipDirectory(src, DEFAULT_LIMITS);
  expect(sniffKerasZip(dir.entries.map((e) => e.name))).toBe(true);
  const text = async (name: string): Promise<string | undefined> => {
    const entry = dir.entries.find((e) => e.name === name);
    if (!entry) return undefined;
    const m = await openZipMember(src, entry, { limits: DEFAULT_LIMITS, budget: createInflateBudget(DEFAULT_LIMITS) });
    return new TextDecoder().decode(await m.read(0, m.size));
  };
  return parseKerasV3Config((await text('config.json')) ?? '', await text('metadata.json'));
}

function judge(facts: KerasFacts, uri: string): (FindingDraft & { severity: Severity })[] {
  const ctx: RuleContext = { uri, container: 'other', callables: compileCallablePolicy() };
  return KERAS_RULES.flatMap((r) => [...r.check(facts, ctx)].map((d) => ({ ...d, severity: d.severity ?? r.meta.severity })));
}

const loud = (s: Severity): boolean => s === 'critical' || s === 'high' || s === 'medium';

describe.each(manifest)('keras fixture $path', (entry) => {
  it('is judged as the manifest says', async () => {
    const facts = await factsOf(entry.path);
    expect(facts.documents.length + facts.problems.length).toBeGreaterThanOrEqual(entry.path.includes('weights_only') ? 0 : 1);
    const drafts = judge(facts, entry.path);
    if (entry.expect === 'clean') {
      expect(drafts.filter((d) => loud(d.severity)).map((d) => d.message)).toEqual([]);
      return;
    }
    const ids = new Set(drafts.map((d) => d.ruleId));
    for (const id of entry.expect.rules) expect([...ids]).toContain(id);
    const text = drafts.map((d) => `${d.message} ${d.location.pointer ?? ''}`).join('\n');
    for (const m of entry.expect.mentions ?? []) expect(text).toContain(m);
    expect(drafts.some((d) => d.severity === 'critical' || d.severity === 'high')).toBe(true);
  });
});

describe('keras fixtures in detail', () => {
  it('reads the Keras 2 HDF5 attributes, from disk and from memory alike', async () => {
    const byPath = await parseKerasH5({ path: path('keras/benign_sequential.h5') }, { limits: DEFAULT_LIMITS });
    const byBytes = await parseKerasH5(bufferSource(readFileSync(path('keras/benign_sequential.h5')), 'm.h5'), { limits: DEFAULT_LIMITS });
    expect(byBytes).toEqual(byPath);
    expect(byPath.keras_version).toBe('2.12.0');
    expect(byPath.backend).toBe('tensorflow');
    expect(byPath.documents.map((d) => d.origin)).toEqual(['h5-model_config', 'h5-training_config']);
    expect(byPath.layers.map((l) => l.class_name)).toEqual(['Sequential', 'InputLayer', 'Conv2D', 'BatchNormalization', 'Flatten', 'Dropout', 'Dense']);
    expect(byPath.objects.find((o) => o.role === 'optimizer')?.class_name).toBe('Adam');
  });

  it('reads vlen (str) attributes too', async () => {
    const f = await parseKerasH5({ path: path('keras/benign_functional.h5') }, { limits: DEFAULT_LIMITS });
    expect(f.keras_version).toBe('2.15.0');
    expect(f.layers.filter((l) => l.module === 'keras.layers')).toHaveLength(4);
  });

  it('reports the Lambda bytecode size and pointer (.h5 and .keras)', async () => {
    const h5 = await factsOf('keras/lambda_sequential.h5');
    expect(h5.lambdas).toHaveLength(1);
    expect(h5.lambdas[0]?.function).toMatchObject({ kind: 'bytecode', format: 'keras2-tuple', pointer: '/config/layers/1/config/function/0' });
    const k3 = await factsOf('keras/lambda_model.keras');
    expect(k3.keras_version).toBe('3.4.1');
    expect(k3.lambdas[0]?.function).toMatchObject({ kind: 'bytecode', format: 'keras3-lambda', pointer: '/config/layers/0/config/function/config/code' });
    const [d] = judge(k3, 'lambda_model.keras');
    expect(d?.message).toContain('Lambda layer "lambda" at /config/layers/0 in config.json holds marshalled Python bytecode');
  });

  it('gives critical for os/subprocess and get_file, high for a third-party package', async () => {
    const sev = async (rel: string): Promise<string[]> =>
      judge(await factsOf(rel), rel).filter((d) => d.ruleId === 'BW-KRS-002').map((d) => d.severity);
    expect(await sev('keras/os_system_activation.keras')).toEqual(['critical']);
    expect(await sev('keras/subprocess_layer.keras')).toEqual(['critical']);
    expect(await sev('keras/get_file_gadget.keras')).toEqual(['critical']);
    expect(await sev('keras/custom_layer_mypkg.keras')).toEqual(['high']);
    expect(await sev('keras/custom_loss_training_config.h5')).toEqual(['high']);
  });

  it('BW-KRS-003 fires (medium) on the truncated model_config and on nothing else', async () => {
    const bad = judge(await factsOf('keras/unparsable_config.h5'), 'u.h5');
    expect(bad.map((d) => [d.ruleId, d.severity])).toEqual([['BW-KRS-003', 'medium']]);
    expect(bad[0]?.message).toContain('HDF5 attribute model_config is not valid JSON');
  });
});

describe('BW-KRS-004 external file references', () => {
  const lookup = (vocabulary: unknown): KerasFacts =>
    parseKerasV3Config(
      JSON.stringify({
        module: 'keras',
        class_name: 'Sequential',
        config: { name: 's', layers: [{ module: 'keras.layers', class_name: 'StringLookup', config: { name: 'lookup', vocabulary }, registered_name: null }] },
        registered_name: null,
      }),
      undefined,
    );
  const krs004 = (vocabulary: unknown): Severity[] => judge(lookup(vocabulary), 'm.keras').filter((d) => d.ruleId === 'BW-KRS-004').map((d) => d.severity);

  it('rates URLs, absolute paths and traversal high, plain relative paths medium', () => {
    expect(krs004('gs://attacker-bucket/vocab.txt')).toEqual(['high']);
    expect(krs004('https://example.invalid/v')).toEqual(['high']);
    expect(krs004('/etc/passwd')).toEqual(['high']);
    expect(krs004('C:\\Windows\\win.ini')).toEqual(['high']);
    expect(krs004('../../secrets/vocab.txt')).toEqual(['high']);
    expect(krs004('vocab.txt')).toEqual(['medium']);
  });

  it('says nothing about inline vocabularies or none', () => {
    expect(krs004(['a', 'b'])).toEqual([]);
    expect(krs004(null)).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKerasMetadata, parseTensorflow, sniffGraphDef, sniffKerasMetadata, sniffSavedModel } from '../../formats/tensorflow/index.js';
import { bufferSource } from '../../io/byte-source.js';
import { DEFAULT_LIMITS } from '../../io/limits.js';
import type { FindingDraft, Severity } from '../../report/types.js';
import { compileCallablePolicy } from '../pickle/callable-policy.js';
import type { RuleContext } from '../types.js';
import { TENSORFLOW_RULES, TF_KERAS_METADATA_RULES } from './tensorflow-rules.js';

const dir = new URL('../../../test/fixtures/tensorflow/', import.meta.url);
const ctx: RuleContext = { uri: 'model', callables: compileCallablePolicy({}), container: 'other' };

interface Entry {
  path: string;
  expect: 'clean' | { rules: string[]; mentions?: string[] };
}

type Judged = FindingDraft & { severity: Severity };

/** Sniffs, parses and judges a fixture the way the scanner does. */
async function scanFixture(rel: string): Promise<{ findings: Judged[]; format: string; error?: string | undefined }> {
  const bytes = readFileSync(new URL(rel, dir));
  const src = bufferSource(bytes, rel);
  const head = bytes.subarray(0, 512);
  if (sniffKerasMetadata(head, rel, bytes.length)) {
    const facts = await parseKerasMetadata(src, { limits: DEFAULT_LIMITS });
    const findings = TF_KERAS_METADATA_RULES.flatMap((r) => [...r.check(facts, ctx)].map((d) => ({ ...d, severity: d.severity ?? r.meta.severity })));
    return { findings, format: 'keras-metadata', error: facts.error?.message };
  }
  const isSaved = sniffSavedModel(head, rel, bytes.length);
  if (!isSaved && !sniffGraphDef(head, rel, bytes.length)) return { findings: [], format: 'unknown' };
  const facts = await parseTensorflow(src, { limits: DEFAULT_LIMITS, container: isSaved ? 'saved-model' : 'graph-def' });
  const findings = TENSORFLOW_RULES.flatMap((r) => [...r.check(facts, ctx)].map((d) => ({ ...d, severity: d.severity ?? r.meta.severity })));
  return { findings, format: facts.container, error: facts.error?.message };
}

const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as Entry[];
const loud = (s: Severity): boolean => s === 'critical' || s === 'high' || s === 'medium';

describe('TensorFlow fixture manifest (sniff + parse + rules, as the scanner runs them)', () => {
  it.each(manifest)('$path', async (entry) => {
    const { findings, format, error } = await scanFixture(entry.path.replace(/^tensorflow\//, ''));
    expect(format).not.toBe('unknown');
    expect(error).toBeUndefined();
    if (entry.expect === 'clean') {
      expect(findings.filter((f) => loud(f.severity)).map((f) => f.message)).toEqual([]);
      return;
    }
    const ids = new Set(findings.map((f) => f.ruleId));
    for (const r of entry.expect.rules) expect(ids).toContain(r);
    const text = findings.map((f) => f.message).join('\n');
    for (const m of entry.expect.mentions ?? []) expect(text).toContain(m);
    expect(findings.some((f) => f.severity === 'critical' || f.severity === 'high')).toBe(true);
  });

  it('tells SavedModels from frozen GraphDefs', async () => {
    expect((await scanFixture('clean_tf1/saved_model.pb')).format).toBe('saved-model');
    expect((await scanFixture('clean_tf2/saved_model.pb')).format).toBe('saved-model');
    expect((await scanFixture('clean_frozen_graph.pb')).format).toBe('graph-def');
    expect((await scanFixture('frozen_matching_files.pb')).format).toBe('graph-def');
  });

  it('reads the saver context of TF1 and TF2 SavedModels', async () => {
    for (const rel of ['clean_tf1/saved_model.pb', 'clean_tf2/saved_model.pb']) {
      const facts = await parseTensorflow(bufferSource(readFileSync(new URL(rel, dir)), rel), { limits: DEFAULT_LIMITS });
      const save = facts.ops.find((o) => o.op === 'SaveV2');
      expect(save?.count).toBe(1);
      expect(save?.saverCount).toBe(1);
      expect(facts.ops.find((o) => o.op === 'RestoreV2')?.saverCount).toBe(1);
      expect(facts.ops.find((o) => o.op === 'MergeV2Checkpoints')?.saverCount).toBe(1);
    }
  });

  it('names the file a ReadFile reads', async () => {
    const { findings } = await scanFixture('read_write_file/saved_model.pb');
    const read = findings.find((f) => f.evidence?.op === 'ReadFile');
    expect(read?.evidence?.literal).toBe('/nonexistent-bulwark-fixture/secret');
    expect(read?.severity).toBe('high');
  });

  it('reports a SaveV2 outside the saver, and only that one', async () => {
    const { findings } = await scanFixture('rogue_savev2/saved_model.pb');
    expect(findings.map((f) => [f.ruleId, f.evidence?.node])).toEqual([['BW-TFS-002', 'exfil/SaveV2']]);
  });

  it('reports a custom Keras object at medium (BW-TFS-006)', async () => {
    const { findings } = await scanFixture('keras_custom/keras_metadata.pb');
    expect(findings.map((f) => [f.ruleId, f.severity, f.evidence?.module])).toEqual([['BW-TFS-006', 'medium', 'bulwark_inert_fixture.layers']]);
  });

  it('reports a truncated SavedModel (BW-TFS-004) and still judges the nodes before the break', async () => {
    const bytes = readFileSync(new URL('truncated/saved_model.pb', dir));
    const facts = await parseTensorflow(bufferSource(bytes, 'truncated/saved_model.pb'), { limits: DEFAULT_LIMITS });
    expect(facts.error?.message).toMatch(/truncated\/saved_model\.pb: malformed protobuf at offset \d+/);
    const findings = TENSORFLOW_RULES.flatMap((r) => [...r.check(facts, ctx)]);
    expect(findings.map((f) => f.ruleId)).toContain('BW-TFS-004');
    expect(findings.map((f) => f.ruleId)).toContain('BW-TFS-002');
  });
});

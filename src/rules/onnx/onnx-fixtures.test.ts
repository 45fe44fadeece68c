import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseOnnx, type OnnxFacts } from '../../formats/onnx/index.js';
import { bufferSource } from '../../io/byte-source.js';
import { DEFAULT_LIMITS } from '../../io/limits.js';
import type { FindingDraft, Severity } from '../../report/types.js';
import { compileCallablePolicy } from '../pickle/callable-policy.js';
import type { RuleContext } from '../types.js';
import { ONNX_RULES } from './onnx-rules.js';

const dir = new URL('../../../test/fixtures/onnx/', import.meta.url);
const ctx: RuleContext = { uri: 'model.onnx', callables: compileCallablePolicy({}), container: 'other' };

interface Entry {
  path: string;
  expect: 'clean' | { rules: string[]; mentions?: string[] };
}

/** Parses a fixture the way the scanner will: with a resolver for files beside it. */
async function parseFixture(name: string): Promise<OnnxFacts> {
  const bytes = readFileSync(new URL(name, dir));
  return parseOnnx(bufferSource(bytes, name), {
    limits: DEFAULT_LIMITS,
    resolveSibling: async (location) => {
      try {
        const s = await stat(new URL(location, dir));
        return { size: s.size };
      } catch {
        return undefined;
      }
    },
  });
}

function judge(facts: OnnxFacts): (FindingDraft & { severity: Severity })[] {
  return ONNX_RULES.flatMap((rule) => [...rule.check(facts, ctx)].map((d) => ({ ...d, severity: d.severity ?? rule.meta.severity })));
}

const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as Entry[];
const loud = (s: Severity): boolean => s === 'critical' || s === 'high' || s === 'medium';

describe('ONNX fixture manifest (parse + rules, as the scanner runs them)', () => {
  it.each(manifest)('$path', async (entry) => {
    const facts = await parseFixture(entry.path.replace(/^onnx\//, ''));
    expect(facts.error).toBeUndefined();
    const findings = judge(facts);
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

  it('reads the clean model fully: operators, initializers, opset, producer', async () => {
    const facts = await parseFixture('clean_gemm_relu.onnx');
    expect(facts.irVersion).toBe(7);
    expect(facts.producerName).toBe('bulwark-fixtures');
    expect(facts.opsets).toEqual([{ domain: '', version: 13 }]);
    expect(facts.operators.map((o) => o.opType)).toEqual(['Gemm', 'Relu']);
    expect(facts.tensors.map((t) => [t.name, t.dims, t.rawDataLength, t.expectedBytes])).toEqual([
      ['W', [8, 4], 128, 128],
      ['B', [4], 16, 16],
    ]);
  });

  it('checks external data against the sibling file', async () => {
    const facts = await parseFixture('clean_external_data.onnx');
    expect(facts.tensors.map((t) => t.external?.file)).toEqual([
      { status: 'found', size: 4112, symlink: false },
      { status: 'found', size: 4112, symlink: false },
    ]);
  });

  it('walks If subgraphs', async () => {
    const facts = await parseFixture('clean_if_subgraph.onnx');
    expect(facts.graphCount).toBe(3);
    expect(facts.maxGraphDepth).toBe(1);
    expect(facts.tensors.map((t) => t.graph)).toContain('graph/if0.then_branch');
  });

  it('reports a custom-domain operator at medium (BW-ONX-002)', async () => {
    const findings = judge(await parseFixture('custom_domain_op.onnx'));
    expect(findings.map((f) => [f.ruleId, f.severity, f.evidence?.domain])).toEqual([['BW-ONX-002', 'medium', 'com.bulwark.custom']]);
  });

  it('reports a raw_data size mismatch at medium (BW-ONX-003)', async () => {
    const findings = judge(await parseFixture('size_mismatch.onnx'));
    expect(findings.map((f) => [f.ruleId, f.severity])).toEqual([['BW-ONX-003', 'medium']]);
    expect(findings[0]?.message).toContain('40 bytes of raw_data but dims [8, 4] of data type 1 need 128');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, type SafetensorsFacts } from '../../formats/safetensors/index.js';
import { bufferSource } from '../../io/byte-source.js';
import type { FindingDraft, Severity } from '../../report/index.js';
import { compileCallablePolicy } from '../pickle/callable-policy.js';
import type { RuleContext } from '../types.js';
import { SAFETENSORS_RULES } from './safetensors-rules.js';

const ctx: RuleContext = { uri: 'model.safetensors', container: 'other', callables: compileCallablePolicy() };

function run(f: SafetensorsFacts, c: RuleContext = ctx): (FindingDraft & { severity: Severity })[] {
  return SAFETENSORS_RULES.flatMap((r) => [...r.check(f, c)].map((d) => ({ ...d, severity: d.severity ?? r.meta.severity })));
}

function facts(violations: SafetensorsFacts['violations']): SafetensorsFacts {
  return { kind: 'safetensors', headerLength: 10, dataLength: 0, tensors: [], metadata: {}, violations, headerParsed: true };
}

interface Entry {
  path: string;
  technique?: string;
  expect: 'clean' | { rules: string[]; mentions?: string[] };
}

const fixtureUrl = (rel: string): URL => new URL(`../../../test/fixtures/${rel}`, import.meta.url);

async function scanFixture(rel: string): Promise<(FindingDraft & { severity: Severity })[]> {
  const bytes = readFileSync(fixtureUrl(rel));
  return run(await parseSafetensors(bufferSource(bytes, rel)), { ...ctx, uri: rel });
}

describe('safetensors rules', () => {
  it('maps each violation kind to its rule and severity, with pointer and stable key', () => {
    const out = run(
      facts([
        { kind: 'duplicate-key', pointer: '/w', offset: 9, message: 'dup' },
        { kind: 'overlap', pointer: '/b/data_offsets', offset: 40, message: 'ov' },
        { kind: 'hole', pointer: '', offset: 50, message: 'gap' },
        { kind: 'metadata', pointer: '/__metadata__/x', offset: 12, message: 'md' },
      ]),
      { ...ctx, member: 'repo.zip!model.safetensors' },
    );
    expect(out.map((f) => [f.ruleId, f.severity, f.key, f.location.pointer, f.location.member])).toEqual([
      ['BW-SFT-001', 'high', 'duplicate-key:/w', '/w', 'repo.zip!model.safetensors'],
      ['BW-SFT-002', 'high', 'overlap:/b/data_offsets', '/b/data_offsets', 'repo.zip!model.safetensors'],
      ['BW-SFT-002', 'medium', 'hole:', undefined, 'repo.zip!model.safetensors'],
      ['BW-SFT-003', 'medium', 'metadata:/__metadata__/x', '/__metadata__/x', 'repo.zip!model.safetensors'],
    ]);
  });

  it('says nothing about a file without violations', () => {
    expect(run(facts([]))).toEqual([]);
  });
});

describe('safetensors fixtures (parse + rules, as the scanner will run them)', () => {
  const manifest = JSON.parse(readFileSync(fixtureUrl('safetensors/manifest.json'), 'utf8')) as Entry[];

  it('has positive and negative entries', () => {
    expect(manifest.filter((e) => e.expect === 'clean').length).toBeGreaterThanOrEqual(2);
    expect(manifest.filter((e) => e.expect !== 'clean').length).toBeGreaterThanOrEqual(8);
  });

  it.each(manifest)('$path meets its manifest expectation', async (entry) => {
    const found = await scanFixture(entry.path);
    if (entry.expect === 'clean') {
      expect(found.filter((f) => f.severity !== 'low' && f.severity !== 'info').map((f) => f.message)).toEqual([]);
      return;
    }
    const ids = new Set(found.map((f) => f.ruleId));
    for (const r of entry.expect.rules) expect([...ids]).toContain(r);
    const text = found.map((f) => f.message).join('\n');
    for (const m of entry.expect.mentions ?? []) expect(text).toContain(m);
    expect(found.some((f) => f.severity === 'high' || f.severity === 'critical')).toBe(true);
  });

  it('fires the medium-only rules on their fixtures', async () => {
    const hole = await scanFixture('safetensors/hole_trailing_bytes.safetensors');
    expect(hole.map((f) => [f.ruleId, f.severity])).toEqual([['BW-SFT-002', 'medium']]);
    expect(hole[0]?.message).toContain('last 27 bytes');
    const md = await scanFixture('safetensors/metadata_not_strings.safetensors');
    expect(md.map((f) => [f.ruleId, f.severity, f.location.pointer])).toEqual([
      ['BW-SFT-003', 'medium', '/__metadata__/config'],
      ['BW-SFT-003', 'medium', '/__metadata__/version'],
    ]);
  });
});

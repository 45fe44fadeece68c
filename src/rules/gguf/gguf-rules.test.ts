import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGguf, type GgufFacts } from '../../formats/gguf/index.js';
import { analyseChatTemplate } from '../../formats/jinja/index.js';
import { bufferSource } from '../../io/byte-source.js';
import type { FindingDraft, Severity } from '../../report/index.js';
import { compileCallablePolicy } from '../pickle/callable-policy.js';
import type { RuleContext } from '../types.js';
import { TEMPLATE_RULES } from '../template/template-rules.js';
import { GGUF_RULES } from './gguf-rules.js';

const ctx: RuleContext = { uri: 'model.gguf', container: 'other', callables: compileCallablePolicy() };
type Judged = FindingDraft & { severity: Severity };

/** The GGUF rules on the facts, and the chat-template rules on its templates (as the scanner runs them). */
function run(f: GgufFacts, c: RuleContext = ctx): Judged[] {
  const structural = GGUF_RULES.flatMap((r) => [...r.check(f, c)].map((d) => ({ ...d, severity: d.severity ?? r.meta.severity })));
  const templates = { kind: 'chat-templates' as const, templates: f.chatTemplates };
  const judged = TEMPLATE_RULES.flatMap((r) => [...r.check(templates, c)].map((d) => ({ ...d, severity: d.severity ?? r.meta.severity })));
  return [...structural, ...judged];
}

function facts(over: Partial<GgufFacts>): GgufFacts {
  return { kind: 'gguf', version: 3, tensorCount: 0, kvCount: 0, alignment: 32, metadata: [], tensors: [], chatTemplates: [], problems: [], complete: true, ...over };
}

interface Entry {
  path: string;
  expect: 'clean' | { rules: string[]; mentions?: string[] };
}

const fixtureUrl = (rel: string): URL => new URL(`../../../test/fixtures/${rel}`, import.meta.url);

async function scanFixture(rel: string): Promise<Judged[]> {
  return run(await parseGguf(bufferSource(readFileSync(fixtureUrl(rel)), rel)), { ...ctx, uri: rel });
}

describe('GGUF rules', () => {
  it('judges structural problems by kind, keyed by field', () => {
    const out = run(
      facts({
        complete: false,
        problems: [
          { kind: 'exceeds-file', offset: 16, field: 'metadata_kv_count', message: 'x' },
          { kind: 'duplicate-key', offset: 40, field: 'general.name', message: 'y' },
        ],
      }),
    );
    expect(out.map((f) => [f.ruleId, f.severity, f.key])).toEqual([
      ['BW-GGF-001', 'high', 'exceeds-file:metadata_kv_count'],
      ['BW-GGF-001', 'medium', 'duplicate-key:general.name'],
    ]);
    expect(out[0]?.message).toContain('Parsing stopped here');
  });

  it('reports each template hazard with the key, expression and path; unparsable templates at medium', () => {
    const analysis = analyseChatTemplate("{{ x|attr(name) }}{{ ''.__class__ }}");
    const bad = analyseChatTemplate('{% if %}');
    const out = run(
      facts({
        chatTemplates: [
          { key: 'tokenizer.chat_template', offset: 100, byteLength: 30, truncated: false, analysis },
          { key: 'tokenizer.chat_template.x', offset: 200, byteLength: 8, truncated: false, analysis: bad },
        ],
      }),
      { ...ctx, member: 'repo.zip!m.gguf' },
    );
    expect(out.map((f) => [f.ruleId, f.severity, f.location.pointer])).toEqual([
      ['BW-TPL-001', 'high', 'tokenizer.chat_template'],
      ['BW-TPL-001', 'critical', 'tokenizer.chat_template'],
      ['BW-TPL-002', 'medium', 'tokenizer.chat_template.x'],
    ]);
    expect(out[1]?.message).toContain("''.__class__");
    expect(out[1]?.location.member).toBe('repo.zip!m.gguf');
    expect(out[1]?.evidence).toMatchObject({ name: '__class__', hazard: 'dunder-name', line: 1 });
  });
});

describe('GGUF fixtures (parse + rules, as the scanner will run them)', () => {
  const manifest = JSON.parse(readFileSync(fixtureUrl('gguf/manifest.json'), 'utf8')) as Entry[];

  it('has positive and negative entries', () => {
    expect(manifest.filter((e) => e.expect === 'clean').length).toBeGreaterThanOrEqual(4);
    expect(manifest.filter((e) => e.expect !== 'clean').length).toBeGreaterThanOrEqual(10);
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

  it('benign templates parse completely and have no hazards at all', async () => {
    for (const e of manifest.filter((x) => x.expect === 'clean')) {
      const f = await parseGguf(bufferSource(readFileSync(fixtureUrl(e.path)), e.path));
      expect(f.complete).toBe(true);
      expect(f.problems).toEqual([]);
      expect(f.chatTemplates.length).toBeGreaterThan(0);
      for (const t of f.chatTemplates) expect([t.key, t.analysis.parsed, t.analysis.hazards]).toEqual([t.key, true, []]);
    }
  });

  it('fires BW-TPL-002 alone (medium) on a benign but unparsable template', async () => {
    const found = await scanFixture('gguf/template_unparsable_benign.gguf');
    expect(found.map((f) => [f.ruleId, f.severity])).toEqual([['BW-TPL-002', 'medium']]);
  });
});

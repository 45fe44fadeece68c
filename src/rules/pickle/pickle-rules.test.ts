import { describe, expect, it } from 'vitest';
import type { PickleFacts, PickleStream } from '../../formats/pickle/index.js';
import type { FindingDraft } from '../../report/index.js';
import type { RuleContext } from '../types.js';
import { compileCallablePolicy } from './callable-policy.js';
import { PICKLE_RULES } from './pickle-rules.js';

function stream(over: Partial<PickleStream> = {}): PickleStream {
  return {
    origin: 'primary',
    start: 0,
    end: 10,
    protocol: 4,
    opcodeCount: 3,
    complete: true,
    globals: [],
    invocations: [],
    dynamicImports: [],
    persistentIds: 0,
    ...over,
  };
}

function facts(streams: PickleStream[]): PickleFacts {
  return { kind: 'pickle', streams, joblibArrays: [], trailingBytes: 0, opcodeCount: 3 };
}

function run(f: PickleFacts, container: RuleContext['container'] = 'plain'): FindingDraft[] {
  const ctx: RuleContext = { uri: 'm.pkl', container, callables: compileCallablePolicy() };
  return PICKLE_RULES.flatMap((r) => [...r.check(f, ctx)]);
}

const ids = (d: FindingDraft[]): string[] => d.map((x) => x.ruleId).sort();

describe('pickle rules', () => {
  it('judge globals: denied -> 001 once per name with the call site, unknown -> 002, allowed -> nothing', () => {
    const s = stream({
      globals: [
        { module: 'os', name: 'system', offset: 2, opcode: 'GLOBAL' },
        { module: 'os', name: 'system', offset: 40, opcode: 'GLOBAL' },
        { module: 'mylib', name: 'Net', offset: 20, opcode: 'STACK_GLOBAL' },
        { module: 'collections', name: 'OrderedDict', offset: 30, opcode: 'GLOBAL' },
      ],
      invocations: [{ opcode: 'REDUCE', offset: 15, callable: { kind: 'global', module: 'os', name: 'system', importOffset: 2 }, argsPreview: "('id',)" }],
    });
    const out = run(facts([s]));
    expect(ids(out)).toEqual(['BW-PKL-001', 'BW-PKL-002']);
    expect(out[0]?.message).toContain("called by REDUCE at offset 15 with ('id',)");
    expect(out[0]?.evidence).toMatchObject({ global: 'os.system', occurrences: 2 });
  });

  it('report dynamic imports, extension codes, malformed streams and appended streams; nothing on a clean stream', () => {
    expect(run(facts([stream()]))).toEqual([]);
    expect(ids(run(facts([stream({ dynamicImports: [{ offset: 9, description: 'module=<call>' }] })])))).toEqual(['BW-PKL-003']);
    expect(ids(run(facts([stream({ invocations: [{ opcode: 'REDUCE', offset: 5, callable: { kind: 'extension', code: 7 } }] })])))).toEqual(['BW-PKL-004']);
    expect(ids(run(facts([stream({ complete: false, error: { offset: 8, kind: 'truncated', message: 'STOP expected' } })])))).toEqual(['BW-PKL-005']);
    expect(run(facts([stream({ complete: false, error: { offset: 8, kind: 'limit', message: 'maxOpcodes' } })]))).toEqual([]);
    const two = facts([stream(), stream({ origin: 'appended', start: 10 })]);
    expect(ids(run(two))).toEqual(['BW-PKL-006']);
    expect(run(two, 'pytorch-legacy')).toEqual([]);
  });

  it('treat raw bytes after the five PyTorch legacy pickles as data, unless they import something', () => {
    const head = Array.from({ length: 5 }, (_, i) => stream({ origin: i === 0 ? 'primary' : 'appended', start: i * 10 }));
    const junk = stream({ origin: 'appended', start: 60, complete: false, error: { offset: 61, kind: 'malformed', message: 'unknown opcode' } });
    expect(run(facts([...head, junk]), 'pytorch-legacy')).toEqual([]);
    expect(ids(run(facts([...head, junk]), 'plain'))).toEqual(['BW-PKL-005', 'BW-PKL-006']);
    const evil = { ...junk, globals: [{ module: 'os', name: 'system', offset: 62, opcode: 'GLOBAL' as const }] };
    expect(ids(run(facts([...head, evil]), 'pytorch-legacy'))).toEqual(['BW-PKL-001', 'BW-PKL-005']);
  });
});

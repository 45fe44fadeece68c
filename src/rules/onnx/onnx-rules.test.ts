import { describe, expect, it } from 'vitest';
import type { OnnxFacts, OnnxTensor } from '../../formats/onnx/index.js';
import { compileCallablePolicy } from '../pickle/callable-policy.js';
import type { RuleContext } from '../types.js';
import { ONNX_RULES } from './onnx-rules.js';

const ctx: RuleContext = { uri: 'model.onnx', member: 'models/model.onnx', callables: compileCallablePolicy({}), container: 'other' };

function facts(over: Partial<OnnxFacts>): OnnxFacts {
  return { kind: 'onnx', opsets: [], operators: [], localFunctions: [], tensors: [], tensorCount: 0, nodeCount: 0, graphCount: 1, maxGraphDepth: 0, metadata: [], ...over };
}

function run(f: OnnxFacts): [string, string | undefined][] {
  return ONNX_RULES.flatMap((r) => [...r.check(f, ctx)].map((d): [string, string | undefined] => [d.ruleId, d.severity ?? r.meta.severity]));
}

const tensor = (over: Partial<OnnxTensor>): OnnxTensor => ({ name: 't', offset: 5, graph: 'graph', origin: 'initializer', dataType: 1, dims: [2, 2], expectedBytes: 16, dataLocation: 0, ...over });

describe('ONNX rules', () => {
  it('grade operator domains: contrib low, custom medium, local functions and standard domains silent', () => {
    const op = (domain: string, localFunction = false) => ({ domain, opType: 'X', count: 1, offset: 1, node: 'n', graph: 'graph', localFunction });
    expect(run(facts({ operators: [op(''), op('ai.onnx.ml'), op('com.microsoft'), op('my.domain'), op('fn.domain', true)] }))).toEqual([
      ['BW-ONX-002', 'low'],
      ['BW-ONX-002', 'medium'],
    ]);
  });

  it('checks external ranges against the sibling file', () => {
    const ext = (file: NonNullable<OnnxTensor['external']>['file'], offset = 0) => tensor({ dataLocation: 1, external: { location: 'w.bin', offset, length: 16, keys: ['location', 'offset', 'length'], locationIssues: [], file } });
    expect(run(facts({ tensors: [ext({ status: 'found', size: 16, symlink: false })] }))).toEqual([]);
    expect(run(facts({ tensors: [ext({ status: 'found', size: 16, symlink: false }, 8)] }))).toEqual([['BW-ONX-003', 'medium']]);
    expect(run(facts({ tensors: [ext({ status: 'missing' })] }))).toEqual([['BW-ONX-003', 'low']]);
    expect(run(facts({ tensors: [ext({ status: 'not-checked' })] }))).toEqual([]);
  });

  it('checks typed data sizes and puts the member in the location', () => {
    const d = [...(ONNX_RULES[2].check(facts({ tensors: [tensor({ typedDataBytes: 12 })] }), ctx))];
    expect(d.map((x) => x.location)).toEqual([{ uri: 'model.onnx', member: 'models/model.onnx', offset: 5, pointer: 'graph' }]);
    expect(run(facts({ tensors: [tensor({ rawDataLength: 16 }), { name: 's', offset: 9, graph: 'graph', origin: 'initializer', dataType: 8, dims: [3], dataLocation: 0, stringCount: 3 }] }))).toEqual([]);
  });

  it('reports malformed facts once', () => {
    expect(run(facts({ error: { offset: 3, message: 'x.onnx: malformed protobuf at offset 3: bad' } }))).toEqual([['BW-ONX-004', 'medium']]);
  });
});

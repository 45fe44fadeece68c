import { describe, expect, it } from 'vitest';
import type { TensorflowFacts, TfNode, TfOpUse } from '../../formats/tensorflow/index.js';
import { compileCallablePolicy } from '../pickle/callable-policy.js';
import type { RuleContext } from '../types.js';
import { TENSORFLOW_RULES } from './tensorflow-rules.js';
import { TF_RISKY_OPS, conditionalReason } from './tf-ops.js';

const ctx: RuleContext = { uri: 'saved_model.pb', callables: compileCallablePolicy({}), container: 'other' };

function use(op: string, attrs: Record<string, string> = {}, saverContext = false): TfOpUse {
  const node: TfNode = { name: `n/${op}`, op, offset: 10, scope: 'graph', inputs: [], inputLiterals: [], attrs, saverContext };
  return { op, count: 1, saverCount: saverContext ? 1 : 0, examples: [node] };
}

function run(ops: TfOpUse[]): [string, string | undefined, unknown][] {
  const facts: TensorflowFacts = { kind: 'tensorflow', container: 'graph-def', metaGraphs: [], ops, nodeCount: ops.length, functionCount: 0, saverScopes: ['save/'] };
  return TENSORFLOW_RULES.flatMap((r) => [...r.check(facts, ctx)].map((d): [string, string | undefined, unknown] => [d.ruleId, d.severity ?? r.meta.severity, d.evidence?.op]));
}

describe('TensorFlow op rules', () => {
  it('judge PrintV2, DecodeProtoV2 and Debug ops by their attrs', () => {
    expect(run([use('PrintV2', { output_stream: 'stderr' }), use('PrintV2', { output_stream: 'log(info)' })])).toEqual([]);
    expect(run([use('PrintV2', { output_stream: 'file:///tmp/x' })])).toEqual([['BW-TFS-002', 'high', 'PrintV2']]);
    expect(run([use('DecodeProtoV2', { descriptor_source: 'local://' }), use('EncodeProto', { descriptor_source: 'bytes://abc' })])).toEqual([]);
    expect(run([use('DecodeProtoV2', { descriptor_source: '/tmp/desc.pb' })])).toEqual([['BW-TFS-002', 'high', 'DecodeProtoV2']]);
    expect(run([use('DebugIdentity', { debug_urls: 'grpc://h.invalid:1' })])).toEqual([['BW-TFS-003', 'high', 'DebugIdentity']]);
    expect(run([use('DebugIdentity')])).toEqual([]);
  });

  it('leave checkpoint ops of the saver alone and report them elsewhere', () => {
    expect(run([use('SaveV2', {}, true), use('RestoreV2', {}, true), use('MergeV2Checkpoints', {}, true)])).toEqual([]);
    expect(run([use('RestoreV2')])).toEqual([['BW-TFS-002', 'high', 'RestoreV2']]);
  });

  it('give each category its rule and severity', () => {
    expect(run([use('EagerPyFunc'), use('InitializeTableFromTextFileV2'), use('RpcServer')])).toEqual([
      ['BW-TFS-001', 'critical', 'EagerPyFunc'],
      ['BW-TFS-002', 'medium', 'InitializeTableFromTextFileV2'],
      ['BW-TFS-003', 'high', 'RpcServer'],
    ]);
    expect(run([use('MatMul'), use('Identity'), use('StringJoin'), use('ShardedFilename')])).toEqual([]);
  });

  it('keeps conditional ops silent when their attrs keep them in-process', () => {
    for (const [op, risk] of TF_RISKY_OPS) if (risk.category === 'conditional') expect(conditionalReason(op, {})).toBeUndefined();
  });
});

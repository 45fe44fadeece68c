import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../errors.js';
import { parseKerasConfigJson, parseKerasMetadataJson, parseKerasV3Config } from './config-walker.js';
import { sniffHdf5, sniffKerasZip } from './sniff.js';

const json = (v: unknown): string => JSON.stringify(v);
const CODE = Buffer.from('inert bytecode stand-in').toString('base64');

describe('parseKerasConfigJson', () => {
  it('reads an old Keras 2 Sequential whose config is the layer list', () => {
    const f = parseKerasConfigJson(json({ class_name: 'Sequential', config: [{ class_name: 'Dense', config: { name: 'd', activation: 'relu' } }] }), 'h5-model_config');
    expect(f.container).toBe('h5');
    expect(f.layers.map((l) => [l.class_name, l.pointer])).toEqual([['Sequential', ''], ['Dense', '/config/0']]);
  });

  it('finds Lambda layers at any depth: nested models, wrappers, Bidirectional', () => {
    const lambda = (name: string) => ({ class_name: 'Lambda', config: { name, function: [CODE, null, null], function_type: 'lambda', module: '__main__' } });
    const cfg = {
      class_name: 'Functional',
      config: {
        layers: [
          { class_name: 'Sequential', config: { layers: [{ class_name: 'TimeDistributed', config: { layer: lambda('a') } }] } },
          { class_name: 'Bidirectional', config: { layer: lambda('b'), backward_layer: lambda('c') } },
        ],
      },
    };
    const f = parseKerasConfigJson(json(cfg), 'h5-model_config');
    expect(f.lambdas.map((l) => [l.name, l.pointer])).toEqual([
      ['a', '/config/layers/0/config/layers/0/config/layer'],
      ['b', '/config/layers/1/config/layer'],
      ['c', '/config/layers/1/config/backward_layer'],
    ]);
    expect(f.lambdas[0]?.function).toEqual({
      kind: 'bytecode',
      format: 'keras2-tuple',
      pointer: '/config/layers/0/config/layers/0/config/layer/config/function/0',
      encodedLength: CODE.length,
      decodedLength: 23,
    });
  });

  it('reads Keras 2 function-type and Keras 3 function-reference Lambdas, and output_shape code', () => {
    const k2 = parseKerasConfigJson(
      json({ class_name: 'Lambda', config: { function: 'system', function_type: 'function', module: 'os', output_shape: [CODE, null, null], output_shape_type: 'lambda', arguments: { x: 1 } } }),
      'keras_metadata',
    );
    expect(k2.lambdas[0]?.function).toEqual({ kind: 'reference', pointer: '/config/function', name: 'system', module: 'os', format: 'keras2-function' });
    expect(k2.lambdas[0]?.outputShape).toMatchObject({ kind: 'bytecode', format: 'keras2-tuple' });
    expect(k2.lambdas[0]?.argumentKeys).toEqual(['x']);
    const k3 = parseKerasConfigJson(
      json({ module: 'keras.layers', class_name: 'Lambda', config: { function: { module: 'keras.models', class_name: 'function', config: 'load_model', registered_name: 'function' }, arguments: { safe_mode: false }, output_shape: [null, 3] } }),
      'keras-v3',
    );
    expect(k3.lambdas[0]?.function).toEqual({ kind: 'reference', pointer: '/config/function', name: 'load_model', module: 'keras.models', format: 'keras3-function' });
    expect(k3.lambdas[0]?.outputShape).toBeUndefined();
    expect(k3.objects.map((o) => [o.qualifiedName, o.role])).toEqual([['keras.models.load_model', 'function']]);
  });

  it('records a __lambda__ used outside a Lambda layer (Keras 3 deserialises it anywhere)', () => {
    const f = parseKerasConfigJson(json({ class_name: 'Dense', config: { activation: { class_name: '__lambda__', config: { code: CODE } } } }), 'keras-v3');
    expect(f.lambdas).toEqual([
      { origin: 'keras-v3', pointer: '/config/activation', class_name: '__lambda__', argumentKeys: [], function: { kind: 'bytecode', format: 'keras3-lambda', pointer: '/config/activation/config/code', encodedLength: CODE.length, decodedLength: 23 } },
    ]);
  });

  it('assigns roles from keys and keeps them through lists and plain dicts', () => {
    const f = parseKerasConfigJson(
      json({
        loss: { out: { class_name: 'L', module: 'm' } },
        metrics: [[{ class_name: 'M', module: 'm' }]],
        optimizer_config: { class_name: 'Adam', config: { learning_rate: { class_name: 'ExponentialDecay', config: {} } } },
      }),
      'h5-training_config',
    );
    expect(f.objects.map((o) => [o.class_name, o.role, o.pointer])).toEqual([
      ['L', 'loss', '/loss/out'],
      ['M', 'metric', '/metrics/0/0'],
      ['Adam', 'optimizer', '/optimizer_config'],
      ['ExponentialDecay', 'other', '/optimizer_config/config/learning_rate'],
    ]);
  });

  it('escapes pointers (RFC 6901) and skips value markers', () => {
    const f = parseKerasConfigJson(json({ class_name: 'X', config: { 'a/b~c': { class_name: 'Y', module: 'm' }, t: { class_name: '__keras_tensor__', config: {} } } }), 'keras-v3');
    expect(f.objects.map((o) => o.pointer)).toEqual(['/config/a~1b~0c']);
  });

  it('records TF-op layers and vocabulary paths', () => {
    const f = parseKerasConfigJson(
      json({ class_name: 'Functional', config: { layers: [
        { class_name: 'TFOpLambda', config: { name: 'tf.io.write_file', function: 'io.write_file' } },
        { class_name: 'StringLookup', config: { name: 'lookup', vocabulary: '/etc/passwd' } },
        { class_name: 'StringLookup', config: { name: 'inline', vocabulary: ['a', 'b'] } },
      ] } }),
      'h5-model_config',
    );
    expect(f.tfOps).toEqual([{ origin: 'h5-model_config', pointer: '/config/layers/0', name: 'tf.io.write_file', function: 'io.write_file' }]);
    expect(f.externalPaths.map((p) => [p.layer, p.value])).toEqual([['lookup', '/etc/passwd']]);
  });

  it('accepts the NaN and Infinity Python writes (so they cannot hide a Lambda)', () => {
    const f = parseKerasConfigJson('{"class_name": "Lambda", "config": {"name": "NaN", "x": NaN, "y": -Infinity, "function": ["QUJD", null, null]}}', 'keras-v3');
    expect(f.problems).toEqual([]);
    expect(f.lambdas.map((l) => l.name)).toEqual(['NaN']);
  });

  it('turns bad content into problems, never exceptions', () => {
    expect(parseKerasConfigJson('{"class_name": ', 'keras-v3').problems[0]?.kind).toBe('invalid-json');
    expect(parseKerasConfigJson('[1,2]', 'keras-v3').problems[0]?.kind).toBe('not-a-model');
    expect(parseKerasConfigJson('x'.repeat(101), 'keras-v3', { limits: { maxConfigChars: 100 } }).problems[0]?.kind).toBe('too-large');
    const deep = parseKerasConfigJson(`${'{"a":'.repeat(50)}1${'}'.repeat(50)}`, 'keras-v3', { limits: { maxDepth: 10 } });
    expect(deep.problems.map((p) => p.kind)).toEqual(['too-deep']);
    expect(deep.documents[0]?.complete).toBe(false);
    const many = parseKerasConfigJson(json({ a: Array.from({ length: 100 }, () => ({ class_name: 'X' })) }), 'keras-v3', { limits: { maxRecords: 10 } });
    expect(many.layers.length + many.objects.length).toBe(10);
    expect(many.truncated).toBe(true);
    expect(many.problems.map((p) => p.kind)).toEqual(['too-many-nodes']);
    const nodes = parseKerasConfigJson(json({ a: new Array(100).fill(0) }), 'keras-v3', { limits: { maxNodes: 50 } });
    expect(nodes.problems.map((p) => p.kind)).toEqual(['too-many-nodes']);
  });

  it('handles very deep JSON without a stack overflow', () => {
    const text = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(parseKerasConfigJson(`{"a":${text}}`, 'keras-v3').problems.map((p) => p.kind)).toEqual(['too-deep']);
  });

  it('throws ABORTED when the signal is aborted', () => {
    const ac = new AbortController();
    ac.abort();
    expect(() => parseKerasConfigJson('{}', 'keras-v3', { signal: ac.signal })).toThrow(expect.objectContaining({ code: 'ABORTED' }) as Error);
    try {
      parseKerasConfigJson('{}', 'keras-v3', { signal: ac.signal });
    } catch (err) {
      expect(isBulwarkError(err, 'ABORTED')).toBe(true);
    }
  });
});

describe('metadata and sniffing', () => {
  it('reads metadata.json leniently', () => {
    expect(parseKerasMetadataJson('{"keras_version": "3.4.1", "date_saved": "x"}')).toEqual({ keras_version: '3.4.1', date_saved: 'x' });
    expect(parseKerasMetadataJson('nope')).toEqual({});
    expect(parseKerasMetadataJson('{"keras_version": 3}')).toEqual({});
    expect(parseKerasV3Config('{"class_name": "Sequential"}', '{"keras_version": "3.1.0"}').keras_version).toBe('3.1.0');
  });

  it('sniffs .keras member lists and the HDF5 signature', () => {
    expect(sniffKerasZip(['metadata.json', 'config.json', 'model.weights.h5'])).toBe(true);
    expect(sniffKerasZip(['config.json', 'model.weights.npz'])).toBe(true);
    expect(sniffKerasZip(['config.json'])).toBe(false);
    expect(sniffKerasZip(['sub/config.json', 'sub/metadata.json'])).toBe(false);
    expect(sniffHdf5(Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe(true);
    expect(sniffHdf5(Uint8Array.from([0x89, 0x48, 0x44]))).toBe(false);
  });
});

import { describeKerasOrigin, type KerasFacts, type KerasFunctionSpec, type KerasLambda, type KerasObjectRef, type KerasOrigin } from '../../formats/keras/index.js';
import { defineRuleMeta, DESERIALISATION_TAGS, locationIn } from '../meta.js';
import type { Rule } from '../types.js';
import { judgeKerasName, type KerasModuleVerdict } from './keras-modules.js';

function showPointer(pointer: string): string {
  return pointer === '' ? '(root)' : pointer;
}

function quoted(name: string | undefined): string {
  return name === undefined ? '' : ` "${name}"`;
}

/** What safe_mode does (not) do for this origin: the reason a loader's defaults do not protect it. */
function safeModeNote(origin: KerasOrigin, fn: KerasFunctionSpec): string {
  if (fn.kind === 'reference' && origin !== 'h5-model_config' && origin !== 'h5-training_config') {
    return 'safe_mode does not block a function named by module and name; Keras looks it up and calls it when the layer is built (CVE-2025-9906)';
  }
  switch (origin) {
    case 'h5-model_config':
    case 'h5-training_config':
      return 'Keras ignores safe_mode for HDF5 files (CVE-2025-9905), so load_model runs it';
    case 'keras-v3':
      return 'Keras 3 refuses bytecode only with safe_mode=True, which callers turn off and attackers have bypassed (CVE-2024-3660, CVE-2025-9906)';
    case 'keras_metadata':
      return 'tf.keras rebuilds it from the SavedModel metadata, where safe_mode does not apply';
    default: {
      const never: never = origin;
      return never;
    }
  }
}

function describeFunction(fn: KerasFunctionSpec, args: string[]): string {
  const withArgs = args.length > 0 ? ` with arguments {${args.join(', ')}}` : '';
  switch (fn.kind) {
    case 'bytecode': {
      const size = fn.decodedLength !== undefined ? `${fn.encodedLength} base64 characters, ${fn.decodedLength} bytes` : `${fn.encodedLength} characters`;
      return `holds marshalled Python bytecode (${size}, at ${fn.pointer}) that Keras unmarshals and runs (func_load)${withArgs}`;
    }
    case 'reference':
      return `calls the Python function ${fn.module !== undefined ? `${fn.module}.` : ''}${fn.name} by name${withArgs}`;
    case 'unknown':
      return `has a function Bulwark cannot classify (${fn.detail}); Keras still tries to build and call it`;
    default: {
      const never: never = fn;
      return never;
    }
  }
}

function lambdaEvidence(l: KerasLambda): Record<string, string | number | boolean> {
  const e: Record<string, string | number | boolean> = { origin: l.origin, pointer: l.pointer, functionKind: l.function.kind, class: l.class_name };
  if (l.name !== undefined) e.layer = l.name;
  if (l.function.kind === 'bytecode') {
    e.encodedLength = l.function.encodedLength;
    if (l.function.decodedLength !== undefined) e.bytecodeBytes = l.function.decodedLength;
  } else if (l.function.kind === 'reference') {
    e.function = l.function.module !== undefined ? `${l.function.module}.${l.function.name}` : l.function.name;
  }
  if (l.argumentKeys.length > 0) e.arguments = l.argumentKeys.join(',');
  return e;
}

/** BW-KRS-001: a Lambda layer (or a `__lambda__` object): Python code that runs on load. */
export const lambdaLayerRule: Rule<KerasFacts> = {
  meta: defineRuleMeta('BW-KRS-001', 'keras/lambda-layer', 'Keras model contains a Lambda layer (Python code that runs on load)', 'critical', [
    ...DESERIALISATION_TAGS,
    'cwe-94',
  ]),
  appliesTo: 'keras',
  *check(facts, ctx) {
    for (const l of facts.lambdas) {
      const what = l.class_name === '__lambda__' ? `A __lambda__ object (a serialized Python lambda) at ${showPointer(l.pointer)}` : `Lambda layer${quoted(l.name)} at ${showPointer(l.pointer)}`;
      const shape = l.outputShape && l.outputShape.kind !== 'unknown' ? `; its output_shape is code too (${l.outputShape.kind} at ${l.outputShape.pointer})` : '';
      yield {
        ruleId: 'BW-KRS-001',
        message: `${what} in ${describeKerasOrigin(l.origin)} ${describeFunction(l.function, l.argumentKeys)}${shape}. ${safeModeNote(l.origin, l.function)}.`,
        location: locationIn(ctx, undefined, l.pointer),
        evidence: lambdaEvidence(l),
        key: `${l.origin}#${l.pointer}`,
      };
    }
  },
};

function roleLabel(o: KerasObjectRef): string {
  const label = roleWord(o);
  return o.class_name === 'function' && o.role !== 'function' ? `${label} (a function reference)` : label;
}

function roleWord(o: KerasObjectRef): string {
  switch (o.role) {
    case 'layer':
      return 'Layer';
    case 'activation':
      return 'Activation';
    case 'initializer':
      return 'Initializer';
    case 'regularizer':
      return 'Regularizer';
    case 'constraint':
      return 'Constraint';
    case 'loss':
      return 'Loss';
    case 'metric':
      return 'Metric';
    case 'optimizer':
      return 'Optimizer';
    case 'function':
      return 'Function reference';
    case 'dtype-policy':
      return 'Dtype policy';
    case 'other':
      return 'Serialized object';
    default: {
      const never: never = o.role;
      return never;
    }
  }
}

/** The name Keras resolves inside `module`: the function name for function references, else the class. */
function innerName(o: KerasObjectRef): string {
  if (o.module !== undefined && o.module !== '' && o.qualifiedName.startsWith(`${o.module}.`)) return o.qualifiedName.slice(o.module.length + 1);
  return o.qualifiedName;
}

function importNote(v: Exclude<KerasModuleVerdict, { verdict: 'trusted' }>): string {
  if (v.verdict === 'untrusted') return `${v.reason}. That code runs on load, and the file cannot be loaded safely without reviewing it`;
  return `${v.reason}${v.cve !== undefined ? ` (${v.cve})` : ''}. Loading the model imports and calls it`;
}

/** BW-KRS-002: a serialized object (or Lambda function, or TF op) that names code outside Keras. */
export const untrustedModuleRule: Rule<KerasFacts> = {
  meta: defineRuleMeta('BW-KRS-002', 'keras/untrusted-module', 'Keras config makes the loader import code outside Keras', 'critical', [
    ...DESERIALISATION_TAGS,
    'cwe-94',
  ]),
  appliesTo: 'keras',
  *check(facts, ctx) {
    for (const o of [...facts.layers, ...facts.objects]) {
      const v = judgeKerasName(o.module, innerName(o), o.registered_name, ctx.callables);
      if (v.verdict === 'trusted') continue;
      const reg = o.registered_name !== undefined && o.registered_name.includes('>') ? ` (registered_name ${o.registered_name})` : '';
      const evidence: Record<string, string | number | boolean> = { origin: o.origin, pointer: o.pointer, role: o.role, name: o.qualifiedName, verdict: v.verdict };
      if (o.name !== undefined) evidence.layer = o.name;
      if (o.registered_name !== undefined) evidence.registered_name = o.registered_name;
      yield {
        ruleId: 'BW-KRS-002',
        severity: v.verdict === 'dangerous' ? 'critical' : 'high',
        message: `${roleLabel(o)}${quoted(o.name)} at ${showPointer(o.pointer)} in ${describeKerasOrigin(o.origin)} names ${o.qualifiedName}${reg}: ${importNote(v)}.`,
        location: locationIn(ctx, undefined, o.pointer),
        evidence,
        key: `${o.origin}#${o.pointer}#${o.qualifiedName}`,
      };
    }
    for (const l of facts.lambdas) {
      // Keras 2 function references live inside the Lambda config, not as serialized objects.
      const fn = l.function;
      if (fn.kind !== 'reference' || fn.format === 'keras3-function') continue;
      const v = judgeKerasName(fn.module, fn.name, undefined, ctx.callables);
      if (v.verdict === 'trusted') continue;
      const full = fn.module !== undefined ? `${fn.module}.${fn.name}` : fn.name;
      yield {
        ruleId: 'BW-KRS-002',
        severity: v.verdict === 'dangerous' ? 'critical' : 'high',
        message: `Lambda layer${quoted(l.name)} at ${showPointer(l.pointer)} in ${describeKerasOrigin(l.origin)} resolves its function ${full} from module ${fn.module ?? '(none)'}: ${importNote(v)}.`,
        location: locationIn(ctx, undefined, fn.pointer),
        evidence: { origin: l.origin, pointer: fn.pointer, role: 'function', name: full, verdict: v.verdict },
        key: `${l.origin}#${fn.pointer}#${full}`,
      };
    }
    for (const t of facts.tfOps) {
      const v = judgeKerasName('tensorflow', t.function, undefined, ctx.callables);
      if (v.verdict !== 'dangerous') continue;
      yield {
        ruleId: 'BW-KRS-002',
        severity: 'critical',
        message: `TF-op layer${quoted(t.name)} at ${showPointer(t.pointer)} in ${describeKerasOrigin(t.origin)} calls tf.${t.function}: ${importNote(v)}.`,
        location: locationIn(ctx, undefined, t.pointer),
        evidence: { origin: t.origin, pointer: t.pointer, role: 'layer', name: `tensorflow.${t.function}`, verdict: v.verdict },
        key: `${t.origin}#${t.pointer}#tf.${t.function}`,
      };
    }
  },
};

/** BW-KRS-003: a config that is not valid JSON, or exceeds the walk's bounds. */
export const unparsableConfigRule: Rule<KerasFacts> = {
  meta: defineRuleMeta('BW-KRS-003', 'keras/unparsable-config', 'Keras model config cannot be parsed or exceeds bounds', 'medium', ['cwe-502', 'owasp-ml06']),
  appliesTo: 'keras',
  *check(facts, ctx) {
    for (const p of facts.problems) {
      const where = p.origin === 'h5' ? 'HDF5 root attributes' : describeKerasOrigin(p.origin);
      yield {
        ruleId: 'BW-KRS-003',
        message: `${where}: ${p.message}. Bulwark could not check what it could not read for Lambda layers and custom modules; Keras's loader may still accept it (or fail only after running part of it).`,
        location: locationIn(ctx, undefined, p.pointer),
        evidence: { origin: p.origin, kind: p.kind },
        key: `${p.origin}#${p.kind}#${p.pointer ?? ''}`,
      };
    }
  },
};

/** Where a vocabulary reference points, from the most to the least dangerous. */
function classifyExternalPath(value: string): 'url' | 'absolute' | 'traversal' | 'relative' {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return 'url';
  if (value.startsWith('/') || value.startsWith('\\') || /^[a-z]:[\\/]/i.test(value)) return 'absolute';
  if (value.split(/[\\/]/).includes('..')) return 'traversal';
  return 'relative';
}

/**
 * BW-KRS-004: a lookup layer whose `vocabulary` is a path or URL. Keras reads it through tf.io.gfile
 * while building the layer on load, safe_mode or not (CVE-2025-12058): an arbitrary file read on the
 * loading host, or a request to any URL (gs://, http://). Keras itself saves vocabularies inline or
 * as assets, so a string here is never needed.
 */
export const externalFileReferenceRule: Rule<KerasFacts> = {
  meta: defineRuleMeta('BW-KRS-004', 'keras/external-file-reference', 'Keras layer reads a file or URL named in its config on load', 'high', [
    'cwe-73',
    'cwe-918',
    'owasp-ml06',
    'atlas:AML.T0010',
  ]),
  appliesTo: 'keras',
  *check(facts, ctx) {
    for (const p of facts.externalPaths) {
      const kind = classifyExternalPath(p.value);
      const what = kind === 'url' ? 'a URL' : kind === 'absolute' ? 'an absolute path' : kind === 'traversal' ? 'a path that leaves the model directory' : 'a relative path';
      yield {
        ruleId: 'BW-KRS-004',
        severity: kind === 'relative' ? 'medium' : 'high',
        message:
          `${p.class_name} layer${quoted(p.layer)} at ${showPointer(p.pointer)} in ${describeKerasOrigin(p.origin)} sets ${p.field} to ${what} (${JSON.stringify(p.value)}): ` +
          'Keras opens it while loading the model, even in safe_mode (CVE-2025-12058), so loading reads that file or fetches that URL. Save vocabularies inline or as model assets.',
        location: locationIn(ctx, undefined, p.pointer),
        evidence: { origin: p.origin, pointer: p.pointer, class_name: p.class_name, field: p.field, value: p.value, reference: kind },
        key: `${p.origin}#${p.pointer}`,
      };
    }
  },
};

/** The Keras rules, in id order. */
export const KERAS_RULES = [lambdaLayerRule, untrustedModuleRule, unparsableConfigRule, externalFileReferenceRule] as const;

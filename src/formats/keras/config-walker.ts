/**
 * A bounded walk over a Keras model configuration (JSON), shared by the HDF5 reader (root
 * attributes `model_config` and `training_config`), the Keras 3 `.keras` zip (`config.json`) and
 * TensorFlow's `keras_metadata.pb` (one JSON document per saved object).
 *
 * Keras turns this JSON back into Python objects with `deserialize_keras_object` (Keras 2:
 * `keras/utils/generic_utils.py`; Keras 3: `keras/src/saving/serialization_lib.py`). Every JSON
 * object with a string `class_name` is such a serialized object; in the Keras 3 form its `module`
 * field names the Python module that is imported to find the class (the import is what
 * CVE-2025-1550 abuses), and `{"class_name": "function", "config": "<name>"}` names a module-level
 * function. A `Lambda` layer's function is marshalled Python bytecode (`func_dump` / `func_load`),
 * and a `__lambda__` object anywhere is the same (Keras 3 `serialization_lib`, "__lambda__").
 *
 * The walk never evaluates anything: it records what Keras would import or run, with JSON
 * pointers (RFC 6901), and leaves the judgement to the rules.
 */
import { z } from 'zod';
import { BulwarkError } from '../../errors.js';
import {
  emptyKerasFacts,
  type KerasFacts,
  type KerasFunctionSpec,
  type KerasObjectRef,
  type KerasObjectRole,
  type KerasOrigin,
} from './facts.js';

/** Bounds of one configuration walk. */
export interface KerasConfigLimits {
  /** Characters of JSON text parsed (real configs of large models are a few MB). */
  maxConfigChars: number;
  /** Nesting depth of JSON values walked (Keras configs nest models in wrappers in models, a few dozen deep). */
  maxDepth: number;
  /** JSON values visited. */
  maxNodes: number;
  /** Objects, layers, lambdas and paths recorded per document; the rest are walked but not kept. */
  maxRecords: number;
}

/** Defaults: generous for real models (a ResNet-152 config is about 1 MB), tight enough to stop bombs. */
export const DEFAULT_KERAS_CONFIG_LIMITS: Readonly<KerasConfigLimits> = Object.freeze({
  maxConfigChars: 64 * 1024 * 1024,
  maxDepth: 512,
  maxNodes: 5_000_000,
  maxRecords: 200_000,
});

/** Options of {@link parseKerasConfigJson}. */
export interface KerasConfigOptions {
  limits?: Partial<KerasConfigLimits>;
  /** Aborting makes the walk throw BulwarkError('ABORTED'). */
  signal?: AbortSignal;
  /** The container the text came from (default: `keras-zip` for `keras-v3`, `h5` for HDF5 origins, else `json`). */
  container?: KerasFacts['container'];
}

/** Longest string kept in facts (class and module names); longer ones are clipped with a marker. */
const MAX_FACT_STRING = 4096;

/** `class_name` values of Keras 3 value markers (serialization_lib), which import nothing. */
const VALUE_MARKERS: ReadonlySet<string> = new Set([
  '__tensor__',
  '__numpy__',
  '__bytes__',
  '__ellipsis__',
  '__slice__',
  '__typespec__',
  '__keras_tensor__',
]);

/** Layers whose `vocabulary` may be a file path read on load (CVE-2025-12058, via tf.io.gfile). */
const VOCABULARY_LAYERS: ReadonlySet<string> = new Set(['StringLookup', 'IntegerLookup', 'IndexLookup', 'TextVectorization']);

/** The header of a serialized Keras object; everything else is passed through. */
const SerializedObject = z.looseObject({
  class_name: z.string(),
  module: z.string().nullish(),
  registered_name: z.string().nullish(),
  name: z.unknown().optional(),
  config: z.unknown().optional(),
});

/** The parts of a Lambda layer config this walk reads (Keras 2 and 3 `Lambda.get_config`). */
const LambdaConfig = z.looseObject({
  name: z.unknown().optional(),
  function: z.unknown().optional(),
  function_type: z.string().optional(),
  module: z.string().nullish(),
  output_shape: z.unknown().optional(),
  output_shape_type: z.string().optional(),
  output_shape_module: z.string().nullish(),
  arguments: z.record(z.string(), z.unknown()).nullish(),
});

/** A Keras 3 `__lambda__` object's config. */
const Keras3LambdaInner = z.looseObject({ code: z.string() });

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface WalkState {
  origin: KerasOrigin;
  facts: KerasFacts;
  limits: KerasConfigLimits;
  signal: AbortSignal | undefined;
  nodes: number;
  records: number;
  stopped: boolean;
}

/** Escapes one reference token (RFC 6901, section 3). */
function token(key: string | number): string {
  return typeof key === 'number' ? String(key) : key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function clip(s: string): string {
  return s.length <= MAX_FACT_STRING ? s : `${s.slice(0, MAX_FACT_STRING)}…(${s.length} chars)`;
}

function isRecord(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The role of an object from the key it is stored under (see Keras `Layer.get_config` of each
 * layer family and `Model.get_compile_config` / legacy `training_config`).
 */
function roleOfKey(key: string): KerasObjectRole | undefined {
  if (key === 'layers' || key === 'layer' || key === 'forward_layer' || key === 'backward_layer' || key === 'cell' || key === 'cells') return 'layer';
  if (key === 'activation' || key.endsWith('_activation')) return 'activation';
  if (key.endsWith('initializer')) return 'initializer';
  if (key.endsWith('regularizer')) return 'regularizer';
  if (key.endsWith('constraint')) return 'constraint';
  if (key === 'loss' || key === 'losses') return 'loss';
  if (key === 'metrics' || key === 'weighted_metrics') return 'metric';
  if (key === 'optimizer' || key === 'optimizer_config' || key === 'inner_optimizer') return 'optimizer';
  if (key === 'dtype' || key === 'dtype_policy') return 'dtype-policy';
  return undefined;
}

function isLambdaClass(className: string): boolean {
  return className === 'Lambda' || /[.>]Lambda$/.test(className);
}

function baseClassName(className: string): string {
  return className.slice(Math.max(className.lastIndexOf('.'), className.lastIndexOf('>')) + 1);
}

/** Decoded size of base64 text (newlines allowed, as `codecs.encode(b, "base64")` writes them), or undefined. */
function base64Length(text: string): number | undefined {
  const compact = text.replace(/[\r\n\t ]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return undefined;
  const pad = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  return (compact.length / 4) * 3 - pad;
}

function bytecode(pointer: string, format: 'keras2-tuple' | 'keras2-string' | 'keras3-lambda', code: string): KerasFunctionSpec {
  const spec: KerasFunctionSpec = { kind: 'bytecode', pointer, format, encodedLength: code.length };
  const decoded = base64Length(code);
  if (decoded !== undefined) spec.decodedLength = decoded;
  return spec;
}

/** A Keras 3 function reference `{"module", "class_name": "function", "config": "<name>"}`. */
function keras3Function(value: Record<string, Json>, pointer: string): KerasFunctionSpec | undefined {
  const parsed = SerializedObject.safeParse(value);
  if (!parsed.success) return undefined;
  const o = parsed.data;
  if (o.class_name === '__lambda__') {
    const inner = Keras3LambdaInner.safeParse(o.config);
    return inner.success
      ? bytecode(`${pointer}/config/code`, 'keras3-lambda', inner.data.code)
      : { kind: 'unknown', pointer, detail: '__lambda__ object without a code string' };
  }
  if (o.class_name === 'function' && typeof o.config === 'string') {
    const spec: KerasFunctionSpec = { kind: 'reference', pointer, name: clip(o.config), format: 'keras3-function' };
    if (typeof o.module === 'string') spec.module = clip(o.module);
    return spec;
  }
  return { kind: 'unknown', pointer, detail: `a serialized ${clip(o.class_name)} object` };
}

/**
 * The function of a Lambda layer (`function`) or its output shape (`output_shape`), per Keras 2
 * `Lambda._parse_function_from_config` (`function_type` 'lambda' | 'function' | 'raw') and Keras 3
 * `Lambda.from_config` (a `__lambda__` object or a function reference).
 */
function lambdaFunction(
  value: unknown,
  pointer: string,
  type: string | undefined,
  module: string | null | undefined,
  isShape: boolean,
): KerasFunctionSpec | undefined {
  if (value === undefined || value === null) return isShape ? undefined : { kind: 'unknown', pointer, detail: 'no function given' };
  if (isRecord(value)) return keras3Function(value, pointer);
  if (Array.isArray(value)) {
    // func_dump: (base64 code, defaults, closure). An output shape given as a plain list is a shape.
    const code: unknown = (value as unknown[])[0];
    if (typeof code === 'string' && (!isShape || type === 'lambda')) return bytecode(`${pointer}/0`, 'keras2-tuple', code);
    return isShape ? undefined : { kind: 'unknown', pointer, detail: 'a list that is not (code, defaults, closure)' };
  }
  if (typeof value === 'string') {
    // A raw output shape is a literal value, not something to call.
    if (isShape && type === 'raw') return undefined;
    if (type === 'function' || type === 'raw') {
      const spec: KerasFunctionSpec = { kind: 'reference', pointer, name: clip(value), format: type === 'raw' ? 'keras2-raw' : 'keras2-function' };
      if (typeof module === 'string') spec.module = clip(module);
      return spec;
    }
    return bytecode(pointer, 'keras2-string', value);
  }
  return isShape ? undefined : { kind: 'unknown', pointer, detail: `a ${typeof value} value` };
}

function record(st: WalkState): boolean {
  if (st.records >= st.limits.maxRecords) {
    if (!st.facts.truncated) {
      st.facts.problems.push({ origin: st.origin, kind: 'too-many-nodes', message: `more than ${st.limits.maxRecords} serialized objects; later ones were walked but not recorded` });
    }
    st.facts.truncated = true;
    return false;
  }
  st.records += 1;
  return true;
}

function nameOf(obj: Record<string, Json>, config: unknown): string | undefined {
  if (isRecord(config) && typeof config.name === 'string') return clip(config.name);
  return typeof obj.name === 'string' ? clip(obj.name) : undefined;
}

/** Records one serialized object (and its Lambda, TF-op or vocabulary details). */
function visitObject(st: WalkState, obj: Record<string, Json>, pointer: string, hint: KerasObjectRole | undefined): void {
  const parsed = SerializedObject.safeParse(obj);
  if (!parsed.success) return;
  const o = parsed.data;
  if (VALUE_MARKERS.has(o.class_name)) return;
  const className = clip(o.class_name);
  const name = nameOf(obj, o.config);

  if (className === '__lambda__') {
    // Keras 3 deserialises a `__lambda__` anywhere with func_load (serialization_lib), not only in Lambda layers.
    const fn = keras3Function(obj, pointer);
    if (fn && record(st)) st.facts.lambdas.push({ origin: st.origin, pointer, class_name: className, function: fn, argumentKeys: [] });
    return;
  }

  const isFunction = className === 'function';
  // A function reference keeps the role of where it is used (an activation, a loss, a "layer").
  const role: KerasObjectRole = isLambdaClass(className) ? 'layer' : (hint ?? (isFunction ? 'function' : 'other'));
  const module = typeof o.module === 'string' ? clip(o.module) : undefined;
  const inner = isFunction && typeof o.config === 'string' && o.config !== '' ? clip(o.config) : className;
  const ref: KerasObjectRef = {
    origin: st.origin,
    pointer,
    role,
    class_name: className,
    qualifiedName: module !== undefined && module !== '' ? `${module}.${inner}` : inner,
  };
  if (module !== undefined) ref.module = module;
  if (typeof o.registered_name === 'string') ref.registered_name = clip(o.registered_name);
  if (name !== undefined) ref.name = name;
  if (record(st)) {
    if (role === 'layer') st.facts.layers.push({ ...ref, role });
    else st.facts.objects.push(ref);
  }

  const base = baseClassName(className);
  const config = isRecord(o.config) ? o.config : undefined;
  if (isLambdaClass(className)) {
    const c = LambdaConfig.safeParse(config ?? {});
    const cfg = c.success ? c.data : {};
    const fn = lambdaFunction(cfg.function, `${pointer}/config/function`, cfg.function_type ?? (typeof cfg.function === 'string' ? undefined : 'lambda'), cfg.module, false) ?? {
      kind: 'unknown',
      pointer: `${pointer}/config`,
      detail: 'no config',
    };
    const lambda: KerasFacts['lambdas'][number] = {
      origin: st.origin,
      pointer,
      class_name: className,
      function: fn,
      argumentKeys: cfg.arguments ? Object.keys(cfg.arguments).slice(0, 64).map(clip) : [],
    };
    if (name !== undefined) lambda.name = name;
    const shape = lambdaFunction(cfg.output_shape, `${pointer}/config/output_shape`, cfg.output_shape_type, cfg.output_shape_module, true);
    if (shape) lambda.outputShape = shape;
    if (record(st)) st.facts.lambdas.push(lambda);
  } else if ((base === 'TFOpLambda' || base === 'SlicingOpLambda') && config && typeof config.function === 'string') {
    // Keras 2 functional models record raw TF calls as `tf.<function>` (TFOpLambda.from_config).
    const call: KerasFacts['tfOps'][number] = { origin: st.origin, pointer, function: clip(config.function) };
    if (name !== undefined) call.name = name;
    if (record(st)) st.facts.tfOps.push(call);
  } else if (VOCABULARY_LAYERS.has(base) && config && typeof config.vocabulary === 'string') {
    const p: KerasFacts['externalPaths'][number] = {
      origin: st.origin,
      pointer: `${pointer}/config/vocabulary`,
      class_name: className,
      field: 'vocabulary',
      value: clip(config.vocabulary),
    };
    if (name !== undefined) p.layer = name;
    if (record(st)) st.facts.externalPaths.push(p);
  }
}

function checkAbort(st: WalkState): void {
  if (st.signal?.aborted === true) throw new BulwarkError('ABORTED', `Keras ${st.origin} config walk was aborted`, { cause: st.signal.reason });
}

/**
 * Walks `value` depth-first. `hint` is the role implied by the nearest enclosing key that names one
 * (kept through plain lists and dicts, reset inside a serialized object's own config).
 */
function walk(st: WalkState, value: Json, pointer: string, depth: number, hint: KerasObjectRole | undefined): void {
  if (st.stopped) return;
  st.nodes += 1;
  if (st.nodes > st.limits.maxNodes) {
    st.stopped = true;
    st.facts.problems.push({ origin: st.origin, kind: 'too-many-nodes', pointer, message: `more than ${st.limits.maxNodes} JSON values; the rest was not analysed` });
    return;
  }
  if ((st.nodes & 0xffff) === 0) checkAbort(st);
  if (value === null || typeof value !== 'object') return;
  if (depth >= st.limits.maxDepth) {
    st.stopped = true;
    st.facts.problems.push({ origin: st.origin, kind: 'too-deep', pointer, message: `JSON nested deeper than ${st.limits.maxDepth} levels; the rest was not analysed` });
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && !st.stopped; i++) walk(st, value[i] ?? null, `${pointer}/${i}`, depth + 1, hint);
    return;
  }
  const serialized = typeof value.class_name === 'string';
  if (serialized) visitObject(st, value, pointer, hint);
  for (const key of Object.keys(value)) {
    if (st.stopped) return;
    const child = value[key] ?? null;
    // A serialized object's own config starts afresh; an old Sequential's config is its layer list.
    let childHint = roleOfKey(key) ?? (serialized ? undefined : hint);
    if (serialized && key === 'config' && Array.isArray(child)) childHint = 'layer';
    walk(st, child, `${pointer}/${token(key)}`, depth + 1, childHint);
  }
}

function containerFor(origin: KerasOrigin): KerasFacts['container'] {
  switch (origin) {
    case 'keras-v3':
      return 'keras-zip';
    case 'h5-model_config':
    case 'h5-training_config':
      return 'h5';
    case 'keras_metadata':
      return 'json';
    default: {
      const never: never = origin;
      return never;
    }
  }
}

/** Human name of a document, for messages. */
export function describeKerasOrigin(origin: KerasOrigin): string {
  switch (origin) {
    case 'keras-v3':
      return 'config.json';
    case 'h5-model_config':
      return 'HDF5 attribute model_config';
    case 'h5-training_config':
      return 'HDF5 attribute training_config';
    case 'keras_metadata':
      return 'keras_metadata.pb entry';
    default: {
      const never: never = origin;
      return never;
    }
  }
}

/**
 * Parses one Keras configuration document and records every serialized object in it. Pure and
 * synchronous; never throws for bad content (invalid JSON, bounds exceeded: `problems`), only
 * BulwarkError('ABORTED') when `signal` aborts.
 */
export function parseKerasConfigJson(text: string, origin: KerasOrigin, opts: KerasConfigOptions = {}): KerasFacts {
  const limits: KerasConfigLimits = { ...DEFAULT_KERAS_CONFIG_LIMITS, ...definedOnly(opts.limits) };
  const facts = emptyKerasFacts(opts.container ?? containerFor(origin));
  const doc = { origin, length: text.length, complete: false };
  facts.documents.push(doc);
  const where = describeKerasOrigin(origin);
  if (text.length > limits.maxConfigChars) {
    facts.problems.push({ origin, kind: 'too-large', message: `${where} is ${text.length} characters, over the ${limits.maxConfigChars} limit; it was not analysed` });
    return facts;
  }
  let value: Json;
  try {
    // JSON.parse is iterative in V8 (no stack overflow on deep nesting); the walk below bounds depth.
    value = JSON.parse(text) as Json;
  } catch (err) {
    // Python's json (what Keras writes and reads with) accepts NaN and Infinity; strict JSON does not.
    const relaxed = pythonConstantsToNull(text);
    try {
      if (relaxed === undefined) throw err;
      value = JSON.parse(relaxed) as Json;
    } catch {
      const detail = err instanceof Error ? err.message : String(err);
      facts.problems.push({ origin, kind: 'invalid-json', message: `${where} is not valid JSON (${clip(detail)})` });
      return facts;
    }
  }
  if (!isRecord(value)) {
    facts.problems.push({ origin, kind: 'not-a-model', pointer: '', message: `${where} is a JSON ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}, not an object` });
    return facts;
  }
  const st: WalkState = { origin, facts, limits, signal: opts.signal, nodes: 0, records: 0, stopped: false };
  checkAbort(st);
  // The root of a model config (and of a keras_metadata entry) is the model (or layer) itself.
  walk(st, value, '', 0, origin === 'h5-training_config' ? undefined : 'layer');
  doc.complete = !st.stopped;
  return facts;
}

/**
 * Replaces the bare `NaN`, `Infinity` and `-Infinity` tokens Python's `json.dumps` writes
 * (allow_nan=True) by `null`, outside strings; undefined when there are none.
 */
function pythonConstantsToNull(text: string): string | undefined {
  const out: string[] = [];
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    for (const word of ['-Infinity', 'Infinity', 'NaN']) {
      if (text.startsWith(word, i)) {
        out.push(text.slice(last, i), 'null');
        i += word.length - 1;
        last = i + 1;
        break;
      }
    }
  }
  if (out.length === 0) return undefined;
  out.push(text.slice(last));
  return out.join('');
}

function definedOnly<T extends object>(o: Partial<T> | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (!o) return out;
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** What `metadata.json` of a `.keras` zip says (Keras 3 `saving_lib._save_state`: keras_version, date_saved). */
export interface KerasZipMetadata {
  keras_version?: string;
  date_saved?: string;
}

const MetadataJson = z.looseObject({ keras_version: z.string().max(256).optional(), date_saved: z.string().max(256).optional() });

/**
 * Reads `metadata.json` of a `.keras` zip. Bad content gives an empty result: the metadata is
 * informational, Keras itself only warns on a version mismatch.
 */
export function parseKerasMetadataJson(text: string): KerasZipMetadata {
  if (text.length > 1024 * 1024) return {};
  try {
    const r = MetadataJson.safeParse(JSON.parse(text));
    if (!r.success) return {};
    const out: KerasZipMetadata = {};
    if (r.data.keras_version !== undefined) out.keras_version = r.data.keras_version;
    if (r.data.date_saved !== undefined) out.date_saved = r.data.date_saved;
    return out;
  } catch {
    return {};
  }
}

/**
 * The facts of a Keras 3 `.keras` zip from its `config.json` text and, when present, its
 * `metadata.json` text (the scanner reads both members, bounded, and hands the text here).
 */
export function parseKerasV3Config(configJson: string, metadataJson?: string, opts: KerasConfigOptions = {}): KerasFacts {
  const facts = parseKerasConfigJson(configJson, 'keras-v3', { ...opts, container: 'keras-zip' });
  if (metadataJson !== undefined) {
    const meta = parseKerasMetadataJson(metadataJson);
    if (meta.keras_version !== undefined) facts.keras_version = meta.keras_version;
  }
  return facts;
}

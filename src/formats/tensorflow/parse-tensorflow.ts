/**
 * TensorFlow graph parser: a SavedModel (`saved_model.pb`, tensorflow/core/protobuf/saved_model.proto)
 * or a bare GraphDef (a frozen `.pb`, tensorflow/core/framework/graph.proto), walked with the bounded
 * protobuf reader. It records every node's op (in the graph and in every FunctionDef of the
 * library), a few example nodes per op with their string attrs and the string constants feeding
 * them, and which nodes belong to the checkpoint saver. Tensor contents are skipped, never read.
 */
import { isBulwarkError } from '../../errors.js';
import { describeSource, type ByteSource } from '../../io/byte-source.js';
import type { Limits } from '../../io/limits.js';
import {
  createLimitedProtoReader,
  errorOffset,
  readFields,
  readString,
  safeNumber,
  scanHead,
  type ProtoField,
  type ProtoReader,
} from '../protobuf/index.js';
import type { TensorflowFacts, TfMetaGraph, TfNode, TfOpUse } from './facts.js';

/** Options of parseTensorflow. */
export interface ParseTensorflowOptions {
  limits: Limits;
  /** Aborting makes the parse throw BulwarkError('ABORTED'). */
  signal?: AbortSignal | undefined;
  /** Clock in milliseconds for `limits.timeoutMs` (default Date.now). */
  now?: (() => number) | undefined;
  /** What the file holds; default: detectTensorflowContainer on its head and name. */
  container?: TensorflowFacts['container'] | undefined;
  /** The file name, for detection (default: the last segment of the member or uri). */
  name?: string | undefined;
}

/** Bytes read of a node name, op, input or string attr. */
const MAX_STRING_BYTES = 256;
/** Inputs kept per example node. */
const MAX_INPUTS = 8;
/** String attrs kept per node. */
const MAX_ATTRS = 16;
/** Example nodes kept per op outside the saver context (and inside it, when there are none outside). */
const MAX_EXAMPLES = 8;
const MAX_SAVER_EXAMPLES = 2;
/** Distinct ops recorded. */
const MAX_OP_KINDS = 20_000;
/** String constants remembered to show what feeds a node (e.g. the path given to ReadFile). */
const MAX_STRING_CONSTS = 20_000;
/** DataType DT_STRING (tensorflow/core/framework/types.proto). */
const DT_STRING = 7;

/**
 * TF2 writes the checkpoint save/restore graph as library functions with these names
 * (tensorflow/python/saved_model/save.py: `_traced_save`, `_traced_restore`, and per-object
 * `save_fn` / `restore_fn` of trackables that save through tensors).
 */
const SAVER_FUNCTION = /^__inference_(?:_traced_(?:save|restore)|(?:save|restore)_fn)_\d+$/;
/** TF1's tf.train.Saver builds its graph under the name scope `save` (then `save_1`, ...). */
const DEFAULT_SAVER_SCOPE = /^save(?:_\d+)?$/;

function baseName(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'), name.lastIndexOf('!')) + 1);
}

/** GraphDef field numbers and wire types (graph.proto: node 1, library 2, version 3, versions 4, debug_info 5). */
const GRAPHDEF_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, 2],
  [2, 2],
  [3, 0],
  [4, 2],
  [5, 2],
]);

/**
 * Which message a TensorFlow `.pb` holds, from its first field: SavedModel starts with
 * saved_model_schema_version (field 1, varint; TF always writes 1), a GraphDef with its first
 * NodeDef (field 1, length-delimited). When the first field is 2 (a SavedModel without a schema
 * version, or a GraphDef that starts with its library), the name decides.
 */
export function detectTensorflowContainer(head: Uint8Array, name: string): TensorflowFacts['container'] {
  const first = scanHead(head, 1)?.[0];
  if (first?.field === 1 && first.wire === 0) return 'saved-model';
  if (first?.field === 1 && first.wire === 2) return 'graph-def';
  return baseName(name).toLowerCase() === 'saved_model.pb' ? 'saved-model' : 'graph-def';
}

const IDENT = /^[A-Za-z_>][A-Za-z0-9_>.]*$/;
const NODE_NAME = /^[A-Za-z0-9._][A-Za-z0-9_.\-/>]*$/;

/** NodeDef field numbers and wire types (node_def.proto: name, op, input, device, attr, debug info, type). */
const NODEDEF_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, 2],
  [2, 2],
  [3, 2],
  [4, 2],
  [5, 2],
  [6, 2],
  [7, 2],
]);

/**
 * How much the head looks like a GraphDef whose first field is a NodeDef: `strong` when that
 * NodeDef's name (1) and op (2), in either order as protobuf allows, are a valid node name and an
 * op identifier; `weak` when its fields merely have NodeDef numbers and wire types.
 */
function nodeDefMatch(head: Uint8Array): 'strong' | 'weak' | undefined {
  const first = scanHead(head, 1)?.[0];
  if (first?.field !== 1 || first.wire !== 2) return undefined;
  const inner = head.subarray(first.next, first.next + (first.length ?? 0));
  const fields = scanHead(inner, 16);
  if (fields === undefined || fields.length === 0 || !fields.every((f) => NODEDEF_FIELDS.get(f.field) === f.wire)) return undefined;
  const text = (x: { next: number; length?: number }): string | undefined =>
    x.next + (x.length ?? 0) <= inner.length ? String.fromCharCode(...inner.subarray(x.next, x.next + Math.min(x.length ?? 0, 128))) : undefined;
  const name = fields.find((f) => f.field === 1);
  const op = fields.find((f) => f.field === 2);
  const nameText = name && text(name);
  const opText = op && text(op);
  if (nameText !== undefined && opText !== undefined && NODE_NAME.test(nameText) && IDENT.test(opText)) return 'strong';
  return 'weak';
}

/**
 * SavedModel sniff. True when the name is `saved_model.pb` and the head starts with a SavedModel
 * field (schema version 1..10 as field 1, or a MetaGraphDef as field 2) and decodes as protobuf;
 * or, whatever the name, on the strong match `08 01 12 <len> 0a|12` (schema version 1, then a
 * MetaGraphDef whose first field is meta_info_def or graph_def). Random bytes (400 000 heads of
 * 512 bytes, the xorshift32 generator of parse-tensorflow.test.ts): about 0.2% of heads named
 * saved_model.pb pass (781), none of the unnamed ones.
 */
export function sniffSavedModel(head: Uint8Array, name: string, size?: number): boolean {
  const fields = scanHead(head, 8, size);
  const first = fields?.[0];
  if (first === undefined) return false;
  const schemaOk = first.field === 1 && first.wire === 0 && first.value !== undefined && first.value >= 1n && first.value <= 10n;
  const metaFirst = first.field === 2 && first.wire === 2;
  if (baseName(name).toLowerCase() === 'saved_model.pb') return schemaOk || metaFirst;
  const second = fields?.[1];
  if (!(first.field === 1 && first.value === 1n && second?.field === 2 && second.wire === 2)) return false;
  const inner = scanHead(head.subarray(second.next), 1)?.[0];
  return inner !== undefined && inner.wire === 2 && (inner.field === 1 || inner.field === 2);
}

/**
 * Frozen GraphDef sniff. Never true for `saved_model.pb` or `keras_metadata.pb`. Every field in the
 * head must be a GraphDef field with its wire type, and the first must be a NodeDef. Then, whatever
 * the name, the strong match (a valid node name and op identifier) is enough; with a `.pb` name a
 * NodeDef whose fields merely have the right numbers and wire types is too. Random bytes (400 000
 * heads of 512 bytes, as for sniffSavedModel): none of the unnamed heads pass, 13 (about 0.003%)
 * of those named `.pb`.
 */
export function sniffGraphDef(head: Uint8Array, name: string, size?: number): boolean {
  const base = baseName(name).toLowerCase();
  if (base === 'saved_model.pb' || base === 'keras_metadata.pb') return false;
  const fields = scanHead(head, 32, size);
  if (fields === undefined || fields.length === 0) return false;
  if (!fields.every((f) => GRAPHDEF_FIELDS.get(f.field) === f.wire)) return false;
  const match = nodeDefMatch(head);
  return match === 'strong' || (match === 'weak' && base.endsWith('.pb'));
}

interface Walk {
  r: ProtoReader;
  facts: TensorflowFacts;
  ops: Map<string, TfOpUse>;
  /** `${scope}\0${node}` -> the string a DT_STRING Const holds. */
  consts: Map<string, string>;
  /** First name segments that are the saver's scope in the MetaGraphDef being walked. */
  saverScopes: Set<string>;
  /** True when no SaverDef named a scope: fall back to TF1's default `save` scope. */
  defaultSaverScope: boolean;
}

/** Walks a TensorProto far enough to get a DT_STRING scalar's first string_val (8); content (4) is skipped. */
async function readStringTensor(w: Walk, f: ProtoField & { kind: 'bytes' }, depth: number): Promise<string | undefined> {
  let dtype = 0;
  let first: string | undefined;
  for await (const g of readFields(w.r, f.start, f.start + f.length, depth)) {
    if (g.field === 1 && g.kind === 'varint') dtype = safeNumber(g.value) ?? 0;
    else if (g.field === 8 && g.kind === 'bytes' && first === undefined) first = await readString(w.r, g, MAX_STRING_BYTES);
  }
  return dtype === DT_STRING ? first : undefined;
}

/** Walks an AttrValue (attr_value.proto: list 1, s 2, tensor 8) for its string forms. */
async function readAttrValue(w: Walk, f: ProtoField & { kind: 'bytes' }, depth: number): Promise<{ s?: string; tensorString?: string }> {
  const out: { s?: string; tensorString?: string } = {};
  for await (const g of readFields(w.r, f.start, f.start + f.length, depth)) {
    if (g.kind !== 'bytes') continue;
    if (g.field === 2) out.s = await readString(w.r, g, MAX_STRING_BYTES);
    else if (g.field === 8) {
      const s = await readStringTensor(w, g, depth + 1);
      if (s !== undefined) out.tensorString = s;
    } else if (g.field === 1) {
      // ListValue.s (2): keep the first few strings, comma-joined (debug_urls, ...).
      const parts: string[] = [];
      for await (const h of readFields(w.r, g.start, g.start + g.length, depth + 1)) {
        if (h.field === 2 && h.kind === 'bytes' && parts.length < 4) parts.push(await readString(w.r, h, MAX_STRING_BYTES));
      }
      if (parts.length > 0) out.s = parts.join(',');
    }
  }
  return out;
}

function firstSegment(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? name : name.slice(0, slash);
}

function inSaverContext(w: Walk, scope: string, name: string): boolean {
  if (scope.startsWith('function:')) return SAVER_FUNCTION.test(scope.slice('function:'.length));
  const seg = firstSegment(name);
  return w.saverScopes.has(seg) || (w.defaultSaverScope && DEFAULT_SAVER_SCOPE.test(seg));
}

/** Walks a NodeDef (node_def.proto: name 1, op 2, input 3, device 4, attr 5 map<string, AttrValue>). */
async function readNode(w: Walk, f: ProtoField & { kind: 'bytes' }, depth: number, scope: string): Promise<void> {
  let name = '';
  let op = '';
  const inputs: string[] = [];
  const attrs: Record<string, string> = {};
  let constString: string | undefined;
  w.facts.nodeCount += 1;
  for await (const g of readFields(w.r, f.start, f.start + f.length, depth)) {
    if (g.kind !== 'bytes') continue;
    switch (g.field) {
      case 1:
        name = await readString(w.r, g, MAX_STRING_BYTES);
        break;
      case 2:
        op = await readString(w.r, g, MAX_STRING_BYTES);
        break;
      case 3:
        if (inputs.length < MAX_INPUTS) inputs.push(await readString(w.r, g, MAX_STRING_BYTES));
        break;
      case 5: {
        // map<string, AttrValue> entry: key 1, value 2 (encoding, "Maps").
        let key = '';
        let value: { s?: string; tensorString?: string } = {};
        for await (const h of readFields(w.r, g.start, g.start + g.length, depth + 1)) {
          if (h.field === 1 && h.kind === 'bytes') key = await readString(w.r, h, MAX_STRING_BYTES);
          else if (h.field === 2 && h.kind === 'bytes') value = await readAttrValue(w, h, depth + 2);
        }
        if (value.s !== undefined && Object.keys(attrs).length < MAX_ATTRS) attrs[key] = value.s;
        if (key === 'value' && value.tensorString !== undefined) constString = value.tensorString;
        break;
      }
      default:
        break;
    }
  }
  if (op === 'Const' && constString !== undefined && w.consts.size < MAX_STRING_CONSTS) w.consts.set(`${scope}\u0000${name}`, constString);
  const saver = inSaverContext(w, scope, name);
  let use = w.ops.get(op);
  if (!use) {
    if (w.ops.size >= MAX_OP_KINDS) return;
    use = { op, count: 0, saverCount: 0, examples: [] };
    w.ops.set(op, use);
  }
  use.count += 1;
  if (saver) use.saverCount += 1;
  const node: TfNode = { name, op, offset: f.offset, scope, inputs, inputLiterals: [], attrs, saverContext: saver };
  const outside = use.examples.filter((e) => !e.saverContext).length;
  if (!saver && outside < MAX_EXAMPLES) {
    // Outside examples come first and push saver ones out: they are what rules judge.
    use.examples = [...use.examples.filter((e) => !e.saverContext), node, ...use.examples.filter((e) => e.saverContext)].slice(0, MAX_EXAMPLES + MAX_SAVER_EXAMPLES);
  } else if (saver && use.examples.length - outside < MAX_SAVER_EXAMPLES) {
    use.examples.push(node);
  }
}

/** Walks a FunctionDefLibrary (function.proto: function 1; FunctionDef signature 1 (OpDef name 1), node_def 3). */
async function readLibrary(w: Walk, f: ProtoField & { kind: 'bytes' }, depth: number): Promise<void> {
  for await (const g of readFields(w.r, f.start, f.start + f.length, depth)) {
    if (g.field !== 1 || g.kind !== 'bytes') continue;
    w.facts.functionCount += 1;
    let fname = `#${w.facts.functionCount}`;
    for await (const h of readFields(w.r, g.start, g.start + g.length, depth + 1)) {
      if (h.kind !== 'bytes') continue;
      if (h.field === 1) {
        for await (const k of readFields(w.r, h.start, h.start + h.length, depth + 2)) {
          if (k.field === 1 && k.kind === 'bytes') fname = await readString(w.r, k, MAX_STRING_BYTES);
        }
      } else if (h.field === 3) await readNode(w, h, depth + 2, `function:${fname}`);
    }
  }
}

/** Walks a GraphDef: node 1, library 2. */
async function readGraphDef(w: Walk, start: number, end: number, depth: number): Promise<void> {
  for await (const g of readFields(w.r, start, end, depth)) {
    if (g.kind !== 'bytes') continue;
    if (g.field === 1) await readNode(w, g, depth + 1, 'graph');
    else if (g.field === 2) await readLibrary(w, g, depth + 1);
  }
}

/** Walks a MetaGraphDef (meta_graph.proto): meta_info_def 1, graph_def 2, saver_def 3. */
async function readMetaGraph(w: Walk, f: ProtoField & { kind: 'bytes' }): Promise<void> {
  const meta: TfMetaGraph = { tags: [] };
  let graph: (ProtoField & { kind: 'bytes' }) | undefined;
  // First a shallow pass: the SaverDef (field 3) comes after the graph on the wire, and it says
  // which nodes are the saver's before the graph is judged. A broken frame (a truncated file) is
  // rethrown only after the graph prefix has been walked.
  let broken: Error | undefined;
  try {
    for await (const g of readFields(w.r, f.start, f.start + f.length, 1)) {
      if (g.kind !== 'bytes') continue;
      if (g.field === 1) {
        for await (const h of readFields(w.r, g.start, g.start + g.length, 2)) {
          if (h.field === 4 && h.kind === 'bytes') meta.tags.push(await readString(w.r, h, MAX_STRING_BYTES));
          else if (h.field === 5 && h.kind === 'bytes') meta.tensorflowVersion = await readString(w.r, h, MAX_STRING_BYTES);
        }
      } else if (g.field === 2) graph ??= g;
      else if (g.field === 3) {
        // SaverDef (saver.proto): filename_tensor_name 1, save_tensor_name 2, restore_op_name 3.
        for await (const h of readFields(w.r, g.start, g.start + g.length, 2)) {
          if (h.field === 1 && h.kind === 'bytes') meta.filenameTensor = await readString(w.r, h, MAX_STRING_BYTES);
          else if (h.field === 3 && h.kind === 'bytes') meta.restoreOp = await readString(w.r, h, MAX_STRING_BYTES);
        }
      }
    }
  } catch (err) {
    if (!isBulwarkError(err, 'PARSE_ERROR')) throw err;
    broken = err;
  }
  w.facts.metaGraphs.push(meta);
  w.saverScopes = new Set();
  for (const n of [meta.restoreOp, meta.filenameTensor]) {
    if (n !== undefined && n.includes('/')) w.saverScopes.add(firstSegment(n));
  }
  w.defaultSaverScope = w.saverScopes.size === 0;
  for (const s of w.saverScopes) if (!w.facts.saverScopes.includes(`${s}/`)) w.facts.saverScopes.push(`${s}/`);
  if (graph) await readGraphDef(w, graph.start, graph.start + graph.length, 2);
  if (broken !== undefined) throw broken;
}

async function readSavedModel(w: Walk): Promise<void> {
  for await (const f of readFields(w.r, 0, w.r.src.size, 0)) {
    if (f.field === 1 && f.kind === 'varint') w.facts.schemaVersion = safeNumber(f.value) ?? -1;
    else if (f.field === 2 && f.kind === 'bytes') await readMetaGraph(w, f);
  }
}

/** Fills each example's inputLiterals from the string constants of its scope. */
function resolveLiterals(w: Walk): void {
  for (const use of w.ops.values()) {
    for (const n of use.examples) {
      n.inputLiterals = n.inputs.map((i) => (i.startsWith('^') ? undefined : w.consts.get(`${n.scope}\u0000${i.split(':')[0] ?? i}`)));
    }
  }
}

/**
 * Parses a SavedModel or a GraphDef from `src`. Broken wire data ends the walk with `facts.error`
 * (what was read before it is kept and judged). Throws LIMIT_EXCEEDED on a limit and ABORTED on
 * the signal.
 */
export async function parseTensorflow(src: ByteSource, opts: ParseTensorflowOptions): Promise<TensorflowFacts> {
  const name = opts.name ?? (src.member?.split('!').pop() ?? src.uri);
  const container = opts.container ?? detectTensorflowContainer(await src.read(0, 64), name);
  const r = createLimitedProtoReader(src, opts);
  const facts: TensorflowFacts = { kind: 'tensorflow', container, metaGraphs: [], ops: [], nodeCount: 0, functionCount: 0, saverScopes: [] };
  const w: Walk = { r, facts, ops: new Map(), consts: new Map(), saverScopes: new Set(), defaultSaverScope: true };
  try {
    if (container === 'saved-model') await readSavedModel(w);
    else await readGraphDef(w, 0, src.size, 0);
  } catch (err) {
    if (!isBulwarkError(err, 'PARSE_ERROR')) throw err;
    facts.error = { offset: errorOffset(err) ?? 0, message: err.message };
  }
  if (w.defaultSaverScope && !facts.saverScopes.includes('save/')) facts.saverScopes.push('save/');
  facts.saverScopes.push('function:__inference__traced_save_*', 'function:__inference__traced_restore_*');
  resolveLiterals(w);
  facts.ops = [...w.ops.values()];
  if (facts.nodeCount === 0 && facts.error === undefined && src.size > 0 && facts.functionCount === 0) {
    facts.error = { offset: 0, message: `${describeSource(src)}: no graph nodes found in this ${container === 'saved-model' ? 'SavedModel' : 'GraphDef'}` };
  }
  return facts;
}


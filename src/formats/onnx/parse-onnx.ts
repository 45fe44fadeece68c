/**
 * ONNX model parser: walks a ModelProto (onnx/onnx.proto, IR version 3-11) with the bounded
 * protobuf reader and collects operators, tensors and external-data references. It never reads
 * tensor data, never opens an external-data file named by an unsafe location, and never runs
 * anything. Field numbers below are those of onnx.proto.
 */
import { BulwarkError, isBulwarkError } from '../../errors.js';
import { describeSource, type ByteSource } from '../../io/byte-source.js';
import type { Limits } from '../../io/limits.js';
import {
  DEFAULT_MAX_PROTO_DEPTH,
  createLimitedProtoReader,
  decodePackedVarints,
  errorOffset,
  protoParseError,
  readFields,
  readPayload,
  readString,
  safeNumber,
  scanHead,
  toInt64,
  type ProtoField,
  type ProtoReader,
} from '../protobuf/index.js';
import type { ExternalFileStatus, ExternalLocationIssue, OnnxExternalData, OnnxFacts, OnnxOperatorUse, OnnxTensor } from './facts.js';

/** What the scanner knows about a file beside the model. */
export interface SiblingFileInfo {
  size: number;
  /** True when the name is a symbolic link (ONNX's loader follows it: CVE-2024-27318). */
  symlink?: boolean;
  /** True when the resolved path lies outside the model's directory. */
  escapes?: boolean;
}

/** Options of parseOnnx. */
export interface ParseOnnxOptions {
  limits: Limits;
  /** Aborting makes the parse throw BulwarkError('ABORTED'). */
  signal?: AbortSignal | undefined;
  /** Clock in milliseconds for `limits.timeoutMs` (default Date.now). */
  now?: (() => number) | undefined;
  /**
   * Looks up a file beside the model by its external-data location (a relative path that passed
   * the static checks; unsafe locations are never passed). Undefined when no such file exists.
   * Without it, external files are not checked.
   */
  resolveSibling?: ((location: string) => Promise<SiblingFileInfo | undefined>) | undefined;
}

/** Bytes read of any name, domain or metadata string; longer ones are cut. */
const MAX_STRING_BYTES = 4096;
/** Tensors retained whatever their content; past this, only noteworthy ones are kept. */
const MAX_TENSOR_RECORDS = 100_000;
/** Distinct (domain, op_type) pairs recorded. */
const MAX_OPERATOR_KINDS = 10_000;
/** metadata_props entries recorded. */
const MAX_METADATA = 1_000;
/** dims per tensor read (real tensors have a handful; the ONNX checker has no bound, we do). */
const MAX_DIMS = 1_024;
/** Distinct external files looked up beside the model. */
const MAX_SIBLING_LOOKUPS = 10_000;

/**
 * Bytes per element of TensorProto.DataType (onnx.proto "enum DataType"); 0.5 for the packed
 * 4-bit types (INT4, UINT4, FLOAT4E2M1: two elements per byte, IR version 10/11). STRING and
 * UNDEFINED have no fixed size.
 */
const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  1: 4, // FLOAT
  2: 1, // UINT8
  3: 1, // INT8
  4: 2, // UINT16
  5: 2, // INT16
  6: 4, // INT32
  7: 8, // INT64
  9: 1, // BOOL
  10: 2, // FLOAT16
  11: 8, // DOUBLE
  12: 4, // UINT32
  13: 8, // UINT64
  14: 8, // COMPLEX64
  15: 16, // COMPLEX128
  16: 2, // BFLOAT16
  17: 1, // FLOAT8E4M3FN
  18: 1, // FLOAT8E4M3FNUZ
  19: 1, // FLOAT8E5M2
  20: 1, // FLOAT8E5M2FNUZ
  21: 0.5, // UINT4
  22: 0.5, // INT4
  23: 0.5, // FLOAT4E2M1
  24: 1, // FLOAT8E8M0
};

/** ModelProto field numbers and the wire type each must have (onnx.proto "message ModelProto"). */
const MODEL_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, 0], // ir_version
  [2, 2], // producer_name
  [3, 2], // producer_version
  [4, 2], // domain
  [5, 0], // model_version
  [6, 2], // doc_string
  [7, 2], // graph
  [8, 2], // opset_import
  [14, 2], // metadata_props
  [20, 2], // training_info
  [25, 2], // functions
]);

function baseName(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
}

/**
 * Content sniff for ONNX, which has no magic number. Every exporter (onnx.helper, PyTorch,
 * tf2onnx, skl2onnx, ...) serialises ModelProto in field-number order, so a real model starts with
 * `ir_version` (field 1, a varint, 1..20 today). The sniff needs that first field, and the whole
 * head must decode as ModelProto fields (known field numbers with their declared wire types,
 * lengths within `size` when given):
 * - with a `.onnx` name, that is enough (also: no ir_version but at least three valid fields);
 * - without it, the next field must also be a known ModelProto field (a strong structural match).
 * On random bytes (the xorshift32 heads of parse-onnx.test.ts, 512 bytes each): none of the
 * test's 20 000 pass either way; of 400 000 (two seeds), 5 pass the first test (about 2^-16 per
 * head) and 1 the second.
 */
export function sniffOnnx(head: Uint8Array, name: string, size?: number): boolean {
  const fields = scanHead(head, 64, size);
  if (fields === undefined || fields.length === 0) return false;
  for (const f of fields) if (MODEL_FIELDS.get(f.field) !== f.wire) return false;
  const first = fields[0];
  if (first === undefined) return false;
  const irOk = first.field === 1 && first.value !== undefined && first.value >= 1n && first.value <= 20n;
  if (baseName(name).toLowerCase().endsWith('.onnx')) return irOk || fields.length >= 3;
  return irOk && fields.length >= 2;
}

/**
 * Static problems of an external-data location. ONNX resolves it against the model's directory
 * (onnx/external_data_helper.py, onnxruntime's ExternalDataInfo); since onnx 1.16 the checker
 * rejects absolute paths, `..` and symlinks (CVE-2024-27318, CVE-2024-27319), but older loaders
 * and other runtimes read whatever the path names.
 */
export function externalLocationIssues(location: string): ExternalLocationIssue[] {
  const issues: ExternalLocationIssue[] = [];
  if (location.length === 0) issues.push('empty');
  if (location.includes('\0')) issues.push('nul-byte');
  if (/^\\\\|^\/\//.test(location)) issues.push('unc');
  else if (location.startsWith('/') || location.startsWith('\\')) issues.push('absolute');
  if (/^[A-Za-z]:/.test(location)) issues.push('windows-drive');
  if (/^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(location)) issues.push('url');
  if (location.startsWith('~')) issues.push('home-relative');
  if (location.split(/[\\/]/).some((seg) => seg === '..')) issues.push('parent-segment');
  return issues;
}

function parseDecimal(v: string): number {
  return /^\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : Number.NaN;
}

function expectedBytes(dataType: number, dims: number[]): number | undefined {
  const size = ELEMENT_BYTES[dataType];
  if (size === undefined) return undefined;
  let n = 1n;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) return undefined;
    n *= BigInt(d);
  }
  const bytes = size === 0.5 ? (n + 1n) / 2n : n * BigInt(size);
  return bytes > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(bytes);
}

interface Walk {
  r: ProtoReader;
  facts: OnnxFacts;
  ops: Map<string, OnnxOperatorUse>;
  maxGraphDepth: number;
}

function asNumber(v: bigint): number {
  return safeNumber(toInt64(v)) ?? Number.NaN;
}

async function str(w: Walk, f: ProtoField): Promise<string | undefined> {
  return f.kind === 'bytes' ? readString(w.r, f, MAX_STRING_BYTES) : undefined;
}

/** Walks a StringStringEntryProto (key = 1, value = 2). */
async function readEntry(w: Walk, f: ProtoField & { kind: 'bytes' }, depth: number): Promise<{ key: string; value: string }> {
  let key = '';
  let value = '';
  for await (const g of readFields(w.r, f.start, f.start + f.length, depth)) {
    if (g.field === 1) key = (await str(w, g)) ?? key;
    else if (g.field === 2) value = (await str(w, g)) ?? value;
  }
  return { key, value };
}

/** Walks a TensorProto (onnx.proto "message TensorProto") without reading its data. */
async function readTensor(w: Walk, f: ProtoField & { kind: 'bytes' }, depth: number, graph: string, origin: OnnxTensor['origin']): Promise<void> {
  const t: OnnxTensor = { name: '', offset: f.offset, graph, origin, dataType: 0, dims: [], dataLocation: 0 };
  const entries: { key: string; value: string }[] = [];
  let typed = 0;
  let hasTyped = false;
  for await (const g of readFields(w.r, f.start, f.start + f.length, depth)) {
    switch (g.field) {
      case 1: // dims: repeated int64, packed by proto3 writers, unpacked by proto2 ones (onnx.proto is proto2)
        if (g.kind === 'varint') {
          if (t.dims.length < MAX_DIMS) t.dims.push(asNumber(g.value));
        } else if (g.kind === 'bytes') {
          const { bytes } = await readPayload(w.r, g, MAX_DIMS * 10);
          const packed = decodePackedVarints(bytes, MAX_DIMS - t.dims.length);
          for (const v of packed.values) t.dims.push(asNumber(v));
          if (packed.error !== undefined) throw protoParseError(w.r.src, g.start, `TensorProto.dims: ${packed.error}`);
        }
        break;
      case 2:
        if (g.kind === 'varint') t.dataType = asNumber(g.value);
        break;
      case 4: // float_data: packed fixed32, or one fixed32 per field
      case 10: // double_data: packed fixed64, or one per field
        hasTyped = true;
        if (g.kind === 'bytes') typed += g.length;
        else if (g.kind === 'fixed32') typed += 4;
        else if (g.kind === 'fixed64') typed += 8;
        break;
      case 6:
        t.stringCount = (t.stringCount ?? 0) + 1;
        break;
      case 8:
        t.name = (await str(w, g)) ?? t.name;
        break;
      case 9:
        if (g.kind === 'bytes') t.rawDataLength = g.length;
        break;
      case 13:
        if (g.kind === 'bytes' && entries.length < 64) entries.push(await readEntry(w, g, depth + 1));
        break;
      case 14:
        if (g.kind === 'varint') t.dataLocation = asNumber(g.value);
        break;
      default:
        break;
    }
  }
  if (hasTyped) t.typedDataBytes = typed;
  const exp = expectedBytes(t.dataType, t.dims);
  if (exp !== undefined) t.expectedBytes = exp;
  if (entries.length > 0 || t.dataLocation === 1) {
    const ext: OnnxExternalData = { keys: entries.map((e) => e.key), locationIssues: [], file: { status: 'not-checked' } };
    for (const e of entries) {
      if (e.key === 'location') ext.location = e.value;
      else if (e.key === 'offset') ext.offset = parseDecimal(e.value);
      else if (e.key === 'length') ext.length = parseDecimal(e.value);
    }
    if (ext.location !== undefined) ext.locationIssues = externalLocationIssues(ext.location);
    t.external = ext;
  }
  w.facts.tensorCount += 1;
  if (w.facts.tensors.length < MAX_TENSOR_RECORDS || t.external !== undefined || isInconsistent(t)) w.facts.tensors.push(t);
}

function isInconsistent(t: OnnxTensor): boolean {
  if (t.expectedBytes === undefined) return false;
  if (t.rawDataLength !== undefined) return t.rawDataLength !== t.expectedBytes;
  if (t.typedDataBytes !== undefined && t.dataType === 1) return t.typedDataBytes !== t.expectedBytes;
  if (t.typedDataBytes !== undefined && t.dataType === 11) return t.typedDataBytes !== t.expectedBytes;
  return false;
}

/** Walks a SparseTensorProto (values = 1, indices = 2). */
async function readSparse(w: Walk, f: ProtoField & { kind: 'bytes' }, depth: number, graph: string, origin: OnnxTensor['origin']): Promise<void> {
  for await (const g of readFields(w.r, f.start, f.start + f.length, depth)) {
    if ((g.field === 1 || g.field === 2) && g.kind === 'bytes') await readTensor(w, g, depth + 1, graph, origin);
  }
}

/** Walks an AttributeProto: tensors (t = 5, tensors = 10), subgraphs (g = 6, graphs = 11), sparse (22, 23). */
async function readAttribute(w: Walk, f: ProtoField & { kind: 'bytes' }, depth: number, graphDepth: number, where: string): Promise<void> {
  let name = '?';
  let graphs = 0;
  for await (const g of readFields(w.r, f.start, f.start + f.length, depth)) {
    if (g.kind !== 'bytes') continue;
    switch (g.field) {
      case 1:
        name = (await readString(w.r, g, MAX_STRING_BYTES)) || name;
        break;
      case 5:
      case 10:
        await readTensor(w, g, depth + 1, `${where}.${name}`, 'attribute');
        break;
      case 22:
      case 23:
        await readSparse(w, g, depth + 1, `${where}.${name}`, 'attribute');
        break;
      case 6:
      case 11:
        await readGraph(w, g, depth + 1, graphDepth + 1, g.field === 6 ? `${where}.${name}` : `${where}.${name}[${graphs++}]`);
        break;
      default:
        break;
    }
  }
}

/** Walks a NodeProto (onnx.proto "message NodeProto") and records its operator. */
async function readNode(w: Walk, f: ProtoField & { kind: 'bytes' }, depth: number, graphDepth: number, graph: string): Promise<void> {
  let name = '';
  let opType = '';
  let domain = '';
  const index = w.facts.nodeCount;
  w.facts.nodeCount += 1;
  for await (const g of readFields(w.r, f.start, f.start + f.length, depth)) {
    if (g.kind !== 'bytes') continue;
    switch (g.field) {
      case 3:
        name = await readString(w.r, g, MAX_STRING_BYTES);
        break;
      case 4:
        opType = await readString(w.r, g, MAX_STRING_BYTES);
        break;
      case 7:
        domain = await readString(w.r, g, MAX_STRING_BYTES);
        break;
      case 5:
        await readAttribute(w, g, depth + 1, graphDepth, `${graph}/${name || `node[${index}]`}`);
        break;
      default:
        break;
    }
  }
  const key = `${domain}\u0000${opType}`;
  const use = w.ops.get(key);
  if (use) use.count += 1;
  else if (w.ops.size < MAX_OPERATOR_KINDS) {
    w.ops.set(key, { domain, opType, count: 1, offset: f.offset, node: name, graph, localFunction: false });
  }
}

/** Walks a GraphProto: nodes (1), initializers (5), sparse initializers (15). */
async function readGraph(w: Walk, f: ProtoField & { kind: 'bytes' }, depth: number, graphDepth: number, label: string): Promise<void> {
  if (graphDepth > DEFAULT_MAX_PROTO_DEPTH) {
    throw new BulwarkError('LIMIT_EXCEEDED', `${describeSource(w.r.src)}: ONNX subgraphs nested deeper than ${DEFAULT_MAX_PROTO_DEPTH} levels at offset ${f.offset}`);
  }
  w.facts.graphCount += 1;
  w.maxGraphDepth = Math.max(w.maxGraphDepth, graphDepth);
  for await (const g of readFields(w.r, f.start, f.start + f.length, depth)) {
    if (g.kind !== 'bytes') continue;
    if (g.field === 1) await readNode(w, g, depth + 1, graphDepth, label);
    else if (g.field === 5) await readTensor(w, g, depth + 1, label, 'initializer');
    else if (g.field === 15) await readSparse(w, g, depth + 1, label, 'sparse-initializer');
  }
}

/** Walks a FunctionProto (name = 1, node = 7, domain = 10); its label is fixed once the name is known. */
async function readFunction(w: Walk, f: ProtoField & { kind: 'bytes' }, depth: number, index: number): Promise<void> {
  const provisional = `function[${index}]`;
  let name = '';
  let domain = '';
  for await (const g of readFields(w.r, f.start, f.start + f.length, depth)) {
    if (g.kind !== 'bytes') continue;
    if (g.field === 1) name = await readString(w.r, g, MAX_STRING_BYTES);
    else if (g.field === 10) domain = await readString(w.r, g, MAX_STRING_BYTES);
    else if (g.field === 7) await readNode(w, g, depth + 1, 1, provisional);
  }
  const label = `function:${domain ? `${domain}.` : ''}${name}`;
  for (const use of w.ops.values()) if (use.graph.startsWith(provisional)) use.graph = label + use.graph.slice(provisional.length);
  for (const t of w.facts.tensors) if (t.graph.startsWith(provisional)) t.graph = label + t.graph.slice(provisional.length);
  w.facts.localFunctions.push({ domain, name, offset: f.offset });
}

async function readModel(w: Walk): Promise<void> {
  let hasGraph = false;
  let training = 0;
  let functions = 0;
  for await (const f of readFields(w.r, 0, w.r.src.size, 0)) {
    switch (f.field) {
      case 1:
        if (f.kind === 'varint') w.facts.irVersion = asNumber(f.value);
        break;
      case 2:
        if (f.kind === 'bytes') w.facts.producerName = await readString(w.r, f, MAX_STRING_BYTES);
        break;
      case 3:
        if (f.kind === 'bytes') w.facts.producerVersion = await readString(w.r, f, MAX_STRING_BYTES);
        break;
      case 5:
        if (f.kind === 'varint') w.facts.modelVersion = asNumber(f.value);
        break;
      case 7:
        if (f.kind === 'bytes') {
          hasGraph = true;
          await readGraph(w, f, 1, 0, 'graph');
        }
        break;
      case 8:
        if (f.kind === 'bytes') {
          const e = { domain: '', version: 0 };
          for await (const g of readFields(w.r, f.start, f.start + f.length, 1)) {
            if (g.field === 1 && g.kind === 'bytes') e.domain = await readString(w.r, g, MAX_STRING_BYTES);
            else if (g.field === 2 && g.kind === 'varint') e.version = asNumber(g.value);
          }
          w.facts.opsets.push(e);
        }
        break;
      case 14:
        if (f.kind === 'bytes' && w.facts.metadata.length < MAX_METADATA) w.facts.metadata.push(await readEntry(w, f, 1));
        break;
      case 20: // TrainingInfoProto: initialization = 1, algorithm = 2 (GraphProto)
        if (f.kind === 'bytes') {
          const index = training++;
          for await (const g of readFields(w.r, f.start, f.start + f.length, 1)) {
            if ((g.field === 1 || g.field === 2) && g.kind === 'bytes') {
              await readGraph(w, g, 2, 0, `training[${index}].${g.field === 1 ? 'initialization' : 'algorithm'}`);
            }
          }
        }
        break;
      case 25:
        if (f.kind === 'bytes') await readFunction(w, f, 1, functions++);
        break;
      default:
        break;
    }
  }
  if (!hasGraph) throw protoParseError(w.r.src, w.r.src.size, 'expected a ModelProto with a graph (field 7), found none');
}

async function checkSiblings(facts: OnnxFacts, resolve: (location: string) => Promise<SiblingFileInfo | undefined>): Promise<void> {
  const cache = new Map<string, SiblingFileInfo | undefined>();
  for (const t of facts.tensors) {
    const ext = t.external;
    if (ext?.location === undefined || ext.locationIssues.length > 0) continue;
    if (!cache.has(ext.location)) {
      if (cache.size >= MAX_SIBLING_LOOKUPS) continue;
      cache.set(ext.location, await resolve(ext.location));
    }
    const info = cache.get(ext.location);
    const status: ExternalFileStatus = info === undefined ? { status: 'missing' } : { status: 'found', size: info.size, symlink: info.symlink === true };
    if (info?.symlink === true) ext.locationIssues.push('symlink');
    if (info?.escapes === true) ext.locationIssues.push('escapes-directory');
    ext.file = status;
  }
}

/**
 * Parses an ONNX ModelProto from `src`. Broken wire data ends the walk with `facts.error` (what
 * was read before it is kept: the loader may have accepted a prefix, and rules still judge it).
 * Throws LIMIT_EXCEEDED on a limit (time, fields, depth) and ABORTED on the signal.
 */
export async function parseOnnx(src: ByteSource, opts: ParseOnnxOptions): Promise<OnnxFacts> {
  const r = createLimitedProtoReader(src, opts);
  const facts: OnnxFacts = {
    kind: 'onnx',
    opsets: [],
    operators: [],
    localFunctions: [],
    tensors: [],
    tensorCount: 0,
    nodeCount: 0,
    graphCount: 0,
    maxGraphDepth: 0,
    metadata: [],
  };
  const w: Walk = { r, facts, ops: new Map(), maxGraphDepth: 0 };
  try {
    await readModel(w);
  } catch (err) {
    if (!isBulwarkError(err, 'PARSE_ERROR')) throw err;
    facts.error = { offset: errorOffset(err) ?? 0, message: err.message };
  }
  const fnKeys = new Set(facts.localFunctions.map((f) => `${f.domain}\u0000${f.name}`));
  facts.operators = [...w.ops.values()].map((u) => ({ ...u, localFunction: fnKeys.has(`${u.domain}\u0000${u.opType}`) }));
  facts.maxGraphDepth = w.maxGraphDepth;
  if (opts.resolveSibling !== undefined) await checkSiblings(facts, opts.resolveSibling);
  return facts;
}

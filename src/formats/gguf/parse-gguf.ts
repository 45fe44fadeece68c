/**
 * A bounded GGUF reader (spec: ggml docs/gguf.md, versions 1-3, little-endian). Every count and
 * length is checked against the bytes left in the file and against explicit bounds *before* anything
 * is allocated or skipped: oversized counts in hostile GGUF files are a known memory-exhaustion and
 * heap-overflow vector in llama.cpp-style readers. Strings are kept only up to a bound (chat templates
 * up to a larger one); arrays are skipped, with their length recorded. Tensor data is never read.
 */
import { BulwarkError } from '../../errors.js';
import { describeSource, type ByteSource } from '../../io/byte-source.js';
import { analyseChatTemplate, type ChatTemplateLimits } from '../jinja/index.js';
import type { GgufFacts, GgufMetadataEntry, GgufProblemKind, GgufTensorInfo, GgufValueTypeName } from './facts.js';
import { GGML_TYPES } from './ggml-types.js';

/** Bounds of {@link parseGguf}. */
export interface GgufLimits {
  /** Metadata key/value pairs (real models: under 100). */
  maxKv: number;
  /** Tensor infos (large MoE models: tens of thousands). */
  maxTensors: number;
  /** Elements of one array (vocabularies: a few hundred thousand). */
  maxArrayLength: number;
  /** Bytes of one string (keys: gguf.md caps them at 65535). */
  maxStringBytes: number;
  /** Nesting of arrays in arrays. */
  maxArrayDepth: number;
  /** Characters of an ordinary string value kept in the facts. */
  maxKeptString: number;
  /** Bytes of a chat template kept and analysed. */
  maxTemplateBytes: number;
  /** Problems recorded. */
  maxProblems: number;
}

/** The defaults: room for real models, far below what exhausts memory. */
export const DEFAULT_GGUF_LIMITS: Readonly<GgufLimits> = Object.freeze({
  maxKv: 65_536,
  maxTensors: 1_000_000,
  maxArrayLength: 16_777_216,
  maxStringBytes: 64 * 1024 * 1024,
  maxArrayDepth: 2,
  maxKeptString: 4096,
  maxTemplateBytes: 4 * 1024 * 1024,
  maxProblems: 1_000,
});

/** Options of {@link parseGguf}. */
export interface ParseGgufOptions {
  limits?: Partial<GgufLimits>;
  templateLimits?: Partial<ChatTemplateLimits>;
  signal?: AbortSignal;
}

/** `GGUF` in ASCII, the magic at offset 0. */
export const GGUF_MAGIC: readonly number[] = [0x47, 0x47, 0x55, 0x46];

/** The key that holds the default chat template; named templates are `tokenizer.chat_template.<name>`. */
export const CHAT_TEMPLATE_KEY = 'tokenizer.chat_template';

/**
 * True when `head` starts with `GGUF` and a version this reader knows (1-3) in either byte order
 * (big-endian files are recognised here and refused by the parser as unsupported).
 */
export function sniffGguf(head: Uint8Array): boolean {
  if (head.length < 8 || !GGUF_MAGIC.every((b, i) => head[i] === b)) return false;
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const le = v.getUint32(4, true);
  const be = v.getUint32(4, false);
  return (le >= 1 && le <= 3) || (be >= 1 && be <= 3);
}

const TYPE_NAMES: readonly GgufValueTypeName[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64'];
/** Fixed sizes of the scalar types (gguf.md, "gguf_metadata_value_type"). */
const SCALAR_SIZE: Partial<Record<GgufValueTypeName, number>> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, bool: 1, uint64: 8, int64: 8, float64: 8 };

/** Stops the parse at a structural problem (recorded, then the facts are returned as they are). */
class Stop extends Error {
  constructor(
    readonly kind: GgufProblemKind,
    readonly offset: number,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const CHUNK = 1 << 20;
const INT64_MAX = (1n << 63n) - 1n;

/** A forward reader over a ByteSource with a 1 MiB window; `skip` never reads. */
class Cursor {
  pos = 0;
  private base = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private reads = 0;
  constructor(
    private readonly src: ByteSource,
    private readonly signal: AbortSignal | undefined,
  ) {}

  get left(): number {
    return this.src.size - this.pos;
  }

  private async need(n: number, field: string): Promise<void> {
    if (n > this.left) throw new Stop('truncated', this.pos, field, `${field} needs ${n} bytes at offset ${this.pos} but the file ends after ${this.left}`);
    if (this.pos >= this.base && this.pos + n <= this.base + this.buf.length) return;
    if (++this.reads % 64 === 0) this.signal?.throwIfAborted();
    this.buf = await this.src.read(this.pos, Math.max(n, CHUNK));
    this.base = this.pos;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    if (this.buf.length < n) throw new Stop('truncated', this.pos, field, `${field}: short read at offset ${this.pos}`);
  }

  async u8(field: string): Promise<number> {
    await this.need(1, field);
    return this.view.getUint8(this.pos++ - this.base);
  }
  async u32(field: string): Promise<number> {
    await this.need(4, field);
    const v = this.view.getUint32(this.pos - this.base, true);
    this.pos += 4;
    return v;
  }
  async u64(field: string): Promise<bigint> {
    await this.need(8, field);
    const v = this.view.getBigUint64(this.pos - this.base, true);
    this.pos += 8;
    return v;
  }
  /** A scalar of a fixed-size type, as JSON-safe facts keep it. */
  async scalar(t: GgufValueTypeName, field: string): Promise<number | boolean | string> {
    const size = SCALAR_SIZE[t] ?? 0;
    await this.need(size, field);
    const o = this.pos - this.base;
    const d = this.view;
    this.pos += size;
    switch (t) {
      case 'uint8':
        return d.getUint8(o);
      case 'int8':
        return d.getInt8(o);
      case 'uint16':
        return d.getUint16(o, true);
      case 'int16':
        return d.getInt16(o, true);
      case 'uint32':
        return d.getUint32(o, true);
      case 'int32':
        return d.getInt32(o, true);
      case 'float32':
        return d.getFloat32(o, true);
      case 'float64':
        return d.getFloat64(o, true);
      case 'bool':
        return d.getUint8(o);
      case 'uint64':
      case 'int64': {
        const b = t === 'uint64' ? d.getBigUint64(o, true) : d.getBigInt64(o, true);
        return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b.toString();
      }
      case 'string':
      case 'array':
        throw new Error(`not a scalar: ${t}`);
      default: {
        const never: never = t;
        throw new Error(`unhandled type ${String(never)}`);
      }
    }
  }
  /** Reads `n` bytes (n already bounded by the caller). */
  async bytes(n: number, field: string): Promise<Uint8Array> {
    if (n > this.left) throw new Stop('truncated', this.pos, field, `${field} needs ${n} bytes at offset ${this.pos} but the file ends after ${this.left}`);
    if (n <= CHUNK) {
      await this.need(n, field);
      const out = this.buf.slice(this.pos - this.base, this.pos - this.base + n);
      this.pos += n;
      return out;
    }
    const out = await this.src.read(this.pos, n);
    this.pos += n;
    return out;
  }
  skip(n: number, field: string): void {
    if (n > this.left) throw new Stop('exceeds-file', this.pos, field, `${field} declares ${n} bytes at offset ${this.pos} but only ${this.left} remain in the file`);
    this.pos += n;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');

/** Parses the GGUF header, metadata and tensor infos of `src`. Throws only for non-GGUF or unsupported input. */
export async function parseGguf(src: ByteSource, options: ParseGgufOptions = {}): Promise<GgufFacts> {
  const limits: GgufLimits = { ...DEFAULT_GGUF_LIMITS, ...options.limits };
  const signal = options.signal;
  const where = describeSource(src);
  const head = await src.read(0, 8);
  if (head.length < 8 || !GGUF_MAGIC.every((b, i) => head[i] === b)) {
    throw new BulwarkError('PARSE_ERROR', `${where}: no GGUF magic at offset 0 (expected the bytes 'GGUF' and a u32 version)`);
  }
  const dv = new DataView(head.buffer, head.byteOffset, 8);
  const version = dv.getUint32(4, true);
  const swapped = dv.getUint32(4, false);
  if (!(version >= 1 && version <= 3)) {
    if (swapped >= 1 && swapped <= 3) {
      throw new BulwarkError('UNSUPPORTED', `${where}: big-endian GGUF (version ${swapped} at offset 4 reads byte-swapped); only little-endian GGUF is analysed`);
    }
    throw new BulwarkError('UNSUPPORTED', `${where}: GGUF version ${version} at offset 4; versions 1 to 3 are supported`);
  }
  const facts: GgufFacts = { kind: 'gguf', version, tensorCount: 0, kvCount: 0, alignment: 32, metadata: [], tensors: [], chatTemplates: [], problems: [], complete: false };
  let dropped = 0;
  const problem = (kind: GgufProblemKind, offset: number, field: string, message: string): void => {
    if (facts.problems.length < limits.maxProblems) facts.problems.push({ kind, offset, field, message });
    else dropped += 1;
  };
  const cur = new Cursor(src, signal);
  cur.pos = 8;
  // gguf.md: v1 used u32 for counts and lengths, v2+ u64.
  const wide = version >= 2;
  const count = async (field: string): Promise<bigint> => (wide ? cur.u64(field) : BigInt(await cur.u32(field)));

  /** A length or count checked against the bytes left (each element needs `minEach` bytes) and a bound. */
  const bounded = (n: bigint, minEach: number, bound: number, field: string, at: number): number => {
    if (n * BigInt(minEach) > BigInt(cur.left)) {
      throw new Stop('exceeds-file', at, field, `${field} is ${n}, which needs at least ${n * BigInt(minEach)} bytes but only ${cur.left} remain in the file: a reader that allocates for it first exhausts memory`);
    }
    if (n > BigInt(bound)) throw new Stop('exceeds-bound', at, field, `${field} is ${n}, above the bound of ${bound}`);
    return Number(n);
  };

  const readString = async (field: string, keep: number): Promise<{ text: string; byteLength: number; truncated: boolean; valid: boolean }> => {
    const at = cur.pos;
    const len = bounded(await count(`${field} length`), 1, limits.maxStringBytes, `${field} length`, at);
    if (len <= keep) {
      const b = await cur.bytes(len, field);
      try {
        return { text: utf8.decode(b), byteLength: len, truncated: false, valid: true };
      } catch {
        return { text: utf8Lenient.decode(b), byteLength: len, truncated: false, valid: false };
      }
    }
    const b = await cur.bytes(keep, field);
    cur.skip(len - keep, field);
    return { text: utf8Lenient.decode(b), byteLength: len, truncated: true, valid: true };
  };

  const typeName = (id: number, field: string, at: number): GgufValueTypeName => {
    const t = TYPE_NAMES[id];
    if (t === undefined) throw new Stop('bad-value-type', at, field, `${field} has value type ${id}, which the spec does not define (0-12)`);
    return t;
  };

  /** Skips an array's elements (bounded), recording nothing but its length. */
  const skipArray = async (field: string, depth: number): Promise<{ type: GgufValueTypeName; length: number }> => {
    const at = cur.pos;
    if (depth > limits.maxArrayDepth) throw new Stop('array-nesting', at, field, `${field} nests arrays ${depth} deep (bound ${limits.maxArrayDepth}; llama.cpp accepts none)`);
    const t = typeName(await cur.u32(`${field} element type`), field, at);
    const size = SCALAR_SIZE[t];
    const minEach = size ?? (wide ? 8 : 4) + (t === 'array' ? 4 : 0);
    const n = bounded(await count(`${field} array length`), minEach, limits.maxArrayLength, `${field} array length`, at + 4);
    if (size !== undefined) {
      cur.skip(n * size, field);
    } else {
      for (let i = 0; i < n; i++) {
        if (i % 4096 === 4095) signal?.throwIfAborted();
        if (t === 'string') cur.skip(bounded(await count(`${field}[${i}] length`), 1, limits.maxStringBytes, `${field}[${i}] length`, cur.pos), `${field}[${i}]`);
        else await skipArray(`${field}[${i}]`, depth + 1);
      }
    }
    return { type: t, length: n };
  };

  try {
    const tensorAt = cur.pos;
    const tensorCount = await count('tensor_count');
    const kvAt = cur.pos;
    const kvCount = await count('metadata_kv_count');
    facts.tensorCount = Number(tensorCount);
    facts.kvCount = Number(kvCount);
    // Smallest key/value: key length + 1-byte key + type + 1-byte value; smallest tensor info:
    // name length + 1-byte name + n_dims + type + offset.
    const minKv = (wide ? 8 : 4) + 1 + 4 + 1;
    const minTensor = (wide ? 8 : 4) + 1 + 4 + 4 + 8;
    const nKv = bounded(kvCount, minKv, limits.maxKv, 'metadata_kv_count', kvAt);
    const nTensors = bounded(tensorCount, minTensor, limits.maxTensors, 'tensor_count', tensorAt);

    const keys = new Set<string>();
    for (let i = 0; i < nKv; i++) {
      if (i % 256 === 255) signal?.throwIfAborted();
      const at = cur.pos;
      const k = await readString(`metadata key #${i}`, 65_535);
      if (k.truncated) throw new Stop('exceeds-bound', at, `metadata key #${i}`, `metadata key #${i} is ${k.byteLength} bytes; gguf.md caps keys at 65535`);
      const key = k.text;
      if (!k.valid || key.length === 0) problem('bad-string', at, key, `metadata key #${i} ${key.length === 0 ? 'is empty' : 'is not valid UTF-8'}`);
      if (keys.has(key)) problem('duplicate-key', at, key, `metadata key ${JSON.stringify(key)} occurs more than once: readers disagree on which value counts (llama.cpp refuses the file)`);
      keys.add(key);
      const tAt = cur.pos;
      const t = typeName(await cur.u32(`${key} type`), key, tAt);
      const entry: GgufMetadataEntry = { key, type: t, offset: at };
      const isTemplate = key === CHAT_TEMPLATE_KEY || key.startsWith(`${CHAT_TEMPLATE_KEY}.`);
      if (t === 'string') {
        const s = await readString(key, isTemplate ? limits.maxTemplateBytes : limits.maxKeptString);
        if (!s.valid) problem('bad-string', at, key, `value of ${JSON.stringify(key)} is not valid UTF-8`);
        if (isTemplate) {
          facts.chatTemplates.push({ key, offset: at, byteLength: s.byteLength, truncated: s.truncated, analysis: analyseChatTemplate(s.text, options.templateLimits) });
          entry.value = s.text.length > limits.maxKeptString ? s.text.slice(0, limits.maxKeptString) : s.text;
          if (s.truncated || s.text.length > limits.maxKeptString) entry.truncated = true;
        } else {
          entry.value = s.text;
          if (s.truncated) entry.truncated = true;
        }
      } else if (t === 'array') {
        const a = await skipArray(key, 1);
        entry.arrayType = a.type;
        entry.arrayLength = a.length;
      } else {
        const vAt = cur.pos;
        const v = await cur.scalar(t, key);
        if (t === 'bool') {
          if (v !== 0 && v !== 1) problem('bad-bool', vAt, key, `bool ${JSON.stringify(key)} is byte ${String(v)}, not 0 or 1`);
          entry.value = v !== 0;
        } else {
          entry.value = v;
        }
      }
      facts.metadata.push(entry);
      if (key === 'general.alignment') {
        const a = entry.value;
        if (t !== 'uint32' || typeof a !== 'number' || a === 0 || (a & (a - 1)) !== 0) {
          problem('bad-alignment', at, key, `general.alignment is ${String(a ?? `a ${t}`)} (${t}); gguf.md requires a non-zero power of two stored as uint32 (readers divide and pad by it)`);
        } else {
          facts.alignment = a;
        }
      }
    }

    const names = new Set<string>();
    for (let i = 0; i < nTensors; i++) {
      if (i % 256 === 255) signal?.throwIfAborted();
      const at = cur.pos;
      const n = await readString(`tensor #${i} name`, 65_535);
      if (n.truncated) throw new Stop('exceeds-bound', at, `tensor #${i} name`, `tensor #${i} name is ${n.byteLength} bytes (bound 65535)`);
      const name = n.text;
      if (names.has(name)) problem('duplicate-tensor', at, name, `tensor ${JSON.stringify(name)} is declared more than once (llama.cpp refuses the file; other readers pick either)`);
      names.add(name);
      const nDims = await cur.u32(`${name} n_dims`);
      // GGML_MAX_DIMS is 4; more is refused by llama.cpp and overflows fixed ne[4] arrays in careless readers.
      if (nDims > 4) {
        problem('too-many-dims', at, name, `tensor ${JSON.stringify(name)} has ${nDims} dimensions; GGML_MAX_DIMS is 4`);
        if (nDims > 64) throw new Stop('too-many-dims', at, name, `tensor ${JSON.stringify(name)} declares ${nDims} dimensions; the rest of the tensor infos cannot be trusted`);
      }
      const dims: bigint[] = [];
      for (let d = 0; d < nDims; d++) dims.push(wide ? await cur.u64(`${name} ne[${d}]`) : BigInt(await cur.u32(`${name} ne[${d}]`)));
      const type = await cur.u32(`${name} type`);
      const offset = await cur.u64(`${name} offset`);
      const info: GgufTensorInfo = { name, dims: dims.map(Number), type, offset: Number(offset), infoOffset: at };
      const gt = GGML_TYPES.get(type);
      if (gt) info.typeName = gt.name;
      else problem('unknown-tensor-type', at, name, `tensor ${JSON.stringify(name)} has ggml type ${type}, which Bulwark does not know (its size cannot be checked)`);
      let elements = 1n;
      let dimsOk = true;
      for (const [d, ne] of dims.entries()) {
        if (ne > INT64_MAX) {
          problem('bad-dim', at, name, `tensor ${JSON.stringify(name)} ne[${d}] = ${ne} is negative as the int64 ggml reads`);
          dimsOk = false;
        }
        elements *= ne;
      }
      if (dimsOk && elements > INT64_MAX) {
        problem('bad-dim', at, name, `tensor ${JSON.stringify(name)} has ${elements} elements, which overflows int64 (size computations wrap in readers that do not check)`);
        dimsOk = false;
      }
      if (gt && dimsOk) {
        const ne0 = dims[0] ?? 1n;
        if (ne0 % BigInt(gt.blockSize) !== 0n) {
          problem('block-misaligned', at, name, `tensor ${JSON.stringify(name)} ne[0] = ${ne0} is not a multiple of the ${gt.name} block size ${gt.blockSize}`);
        } else {
          const nbytes = (elements / BigInt(gt.blockSize)) * BigInt(gt.typeSize);
          if (nbytes <= BigInt(Number.MAX_SAFE_INTEGER)) info.nbytes = Number(nbytes);
          else problem('bad-dim', at, name, `tensor ${JSON.stringify(name)} needs ${nbytes} bytes`);
        }
      }
      if (offset % BigInt(facts.alignment) !== 0n) {
        problem('offset-misaligned', at, name, `tensor ${JSON.stringify(name)} offset ${offset} is not a multiple of the alignment ${facts.alignment}`);
      }
      facts.tensors.push(info);
    }
    facts.complete = true;
    // gguf.md: the tensor data starts at the next multiple of general.alignment after the tensor infos.
    const align = facts.alignment;
    const dataOffset = Math.ceil(cur.pos / align) * align;
    facts.dataOffset = dataOffset;
    checkData(facts, src.size, problem);
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    problem(err.kind, err.offset, err.field, err.message);
  }
  const last = facts.problems[facts.problems.length - 1];
  if (dropped > 0 && last) last.message += ` (and ${dropped} more problems not listed)`;
  return facts;
}

/** Tensor data against the file: in bounds, no overlaps, and (as llama.cpp expects) no gaps. */
function checkData(facts: GgufFacts, size: number, problem: (kind: GgufProblemKind, offset: number, field: string, message: string) => void): void {
  const dataOffset = facts.dataOffset ?? size;
  const dataLen = Math.max(0, size - dataOffset);
  if (facts.tensors.length > 0 && dataOffset > size) {
    problem('data-out-of-bounds', size, 'data', `the tensor data section would start at offset ${dataOffset}, past the end of the ${size}-byte file`);
    return;
  }
  const sized = facts.tensors.filter((t): t is GgufTensorInfo & { nbytes: number } => t.nbytes !== undefined);
  for (const t of sized) {
    if (t.offset + t.nbytes > dataLen) {
      problem('data-out-of-bounds', t.infoOffset, t.name, `tensor ${JSON.stringify(t.name)} data [${t.offset}, ${t.offset + t.nbytes}) reaches past the ${dataLen}-byte data section (file offset ${dataOffset}): an out-of-bounds read in readers that map it`);
    }
  }
  const sorted = [...sized].sort((a, b) => a.offset - b.offset || a.nbytes - b.nbytes);
  let end = 0;
  let prev: (typeof sorted)[number] | undefined;
  const complete = sized.length === facts.tensors.length;
  for (const t of sorted) {
    if (prev && t.offset < end && t.nbytes > 0) {
      problem('tensor-overlap', t.infoOffset, t.name, `tensor ${JSON.stringify(t.name)} [${t.offset}, ${t.offset + t.nbytes}) overlaps ${JSON.stringify(prev.name)} [${prev.offset}, ${prev.offset + prev.nbytes}): the same bytes are read as two tensors`);
    } else if (complete && t.offset > end && t.offset - end >= facts.alignment) {
      problem('data-gap', dataOffset + end, t.name, `data bytes [${end}, ${t.offset}) before tensor ${JSON.stringify(t.name)} belong to no tensor (beyond alignment padding); llama.cpp expects tensors packed in order`);
    }
    if (t.offset + t.nbytes > end) {
      end = t.offset + t.nbytes;
      prev = t;
    }
  }
}

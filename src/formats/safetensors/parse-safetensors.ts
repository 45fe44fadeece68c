/**
 * safetensors header validation (spec: huggingface/safetensors README "Format", and the reference
 * reader `Metadata::validate` in safetensors/src/tensor.rs). Reads the 8-byte length and the
 * header only, never the tensor bytes, and reports every deviation as a violation: a header the
 * reference reader would reject, or that two readers could understand differently, is where
 * over-reads and parser denial-of-service live.
 */
import { BulwarkError } from '../../errors.js';
import { describeSource, type ByteSource } from '../../io/byte-source.js';
import { dtypeBits } from './dtypes.js';
import type { SafetensorsFacts, SafetensorsTensor, SafetensorsViolationKind } from './facts.js';
import { JsonSyntaxError, parseStrictJson, pointerToken, type JsonValue } from './strict-json.js';

/** Bounds of {@link parseSafetensors}. */
export interface SafetensorsLimits {
  /** Largest header read; the reference reader refuses more than 100 000 000 bytes (MAX_HEADER_SIZE). */
  maxHeaderBytes: number;
  /** Tensor entries examined. */
  maxTensors: number;
  /** Dimensions of one tensor. */
  maxDims: number;
  /** Violations recorded (the rest are counted in the last one). */
  maxViolations: number;
}

/** The defaults: the reference reader's header bound, and room for the largest real checkpoints. */
export const DEFAULT_SAFETENSORS_LIMITS: Readonly<SafetensorsLimits> = Object.freeze({
  maxHeaderBytes: 100_000_000,
  maxTensors: 1_000_000,
  maxDims: 64,
  maxViolations: 1_000,
});

/** Options of {@link parseSafetensors}. */
export interface ParseSafetensorsOptions {
  limits?: Partial<SafetensorsLimits>;
  signal?: AbortSignal;
}

/**
 * True when `head` looks like a safetensors file: a little-endian u64 header length that fits the
 * file, then `{` followed (after optional whitespace) by `"` or `}`. Stricter than checking `{`
 * alone, so a random 8 bytes + `{` is not taken for one.
 */
export function sniffSafetensors(head: Uint8Array, size: number): boolean {
  if (head.length < 9 || size < 10) return false;
  const n = new DataView(head.buffer, head.byteOffset, head.byteLength).getBigUint64(0, true);
  if (n < 2n || n > BigInt(size - 8) || head[8] !== 0x7b) return false;
  for (let i = 9; i < head.length && BigInt(i - 8) < n; i++) {
    const c = head[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x22 || c === 0x7d;
  }
  return true;
}

const U64_MAX = (1n << 64n) - 1n;

/** A non-negative integer that fits u64, from a JSON number's text (serde rejects `1.0`, `1e3`, `-0`). */
function asU64(v: JsonValue): bigint | undefined {
  if (v.t !== 'number' || !/^(?:0|[1-9]\d*)$/.test(v.raw)) return undefined;
  const n = BigInt(v.raw);
  return n <= U64_MAX ? n : undefined;
}

function describeJson(v: JsonValue): string {
  switch (v.t) {
    case 'number':
      return v.raw;
    case 'string':
      return JSON.stringify(v.value.length > 40 ? `${v.value.slice(0, 40)}...` : v.value);
    case 'bool':
      return String(v.value);
    case 'null':
      return 'null';
    case 'array':
      return `an array of ${v.items.length}`;
    case 'object':
      return 'an object';
    default: {
      const never: never = v;
      return String(never);
    }
  }
}

/** Reads and validates the header of `src`. Throws only for a file too short to hold a length. */
export async function parseSafetensors(src: ByteSource, options: ParseSafetensorsOptions = {}): Promise<SafetensorsFacts> {
  const limits: SafetensorsLimits = { ...DEFAULT_SAFETENSORS_LIMITS, ...options.limits };
  const signal = options.signal;
  const where = describeSource(src);
  if (src.size < 8) {
    throw new BulwarkError('PARSE_ERROR', `${where}: ${src.size} bytes, too short for the 8-byte safetensors header length at offset 0`);
  }
  const lenBytes = await src.read(0, 8);
  const declared = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  const facts: SafetensorsFacts = {
    kind: 'safetensors',
    headerLength: Number(declared),
    dataLength: 0,
    tensors: [],
    metadata: {},
    violations: [],
    headerParsed: false,
  };
  let dropped = 0;
  const violate = (kind: SafetensorsViolationKind, pointer: string, offset: number, message: string): void => {
    if (facts.violations.length < limits.maxViolations) facts.violations.push({ kind, pointer, offset, message });
    else dropped += 1;
  };
  const finish = (): SafetensorsFacts => {
    const last = facts.violations[facts.violations.length - 1];
    if (dropped > 0 && last) last.message += ` (and ${dropped} more violations not listed)`;
    return facts;
  };

  // Spec: "8 bytes: N, an unsigned little-endian 64-bit integer, containing the size of the header".
  if (declared > BigInt(src.size - 8)) {
    violate('header-length', '', 0, `header length ${declared} is larger than the ${src.size - 8} bytes after it: a reader that trusts it reads past the end of the file`);
    return finish();
  }
  if (declared > BigInt(limits.maxHeaderBytes)) {
    violate('header-length', '', 0, `header length ${declared} exceeds ${limits.maxHeaderBytes} bytes (the reference reader refuses headers above 100 000 000 bytes: a huge header is a memory-exhaustion vector)`);
    return finish();
  }
  const n = Number(declared);
  facts.dataLength = src.size - 8 - n;
  signal?.throwIfAborted();
  const raw = await src.read(8, n);
  let text: string;
  try {
    // ignoreBOM keeps a BOM as U+FEFF, which then fails the '{' check as it fails serde_json.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    violate('header-encoding', '', 8, `the ${n}-byte header is not valid UTF-8 (the spec requires a UTF-8 JSON string)`);
    return finish();
  }
  // Character positions equal byte positions only for ASCII headers; otherwise name the header start.
  const ascii = raw.length === text.length;
  const at = (pos: number): number => 8 + (ascii ? pos : 0);
  if (text.length === 0 || text[0] !== '{') {
    violate('header-syntax', '', 8, `the header does not start with '{' (the reference reader rejects it: InvalidHeaderStart)`);
    return finish();
  }
  let root: JsonValue;
  let duplicates;
  try {
    ({ value: root, duplicates } = parseStrictJson(text, { maxDepth: 16, maxValues: limits.maxTensors * 16 + 1024 }));
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    violate('header-syntax', '', at(err.pos), `the header is not valid JSON: ${err.message}`);
    return finish();
  }
  if (root.t !== 'object') {
    violate('header-not-object', '', 8, `the header is ${describeJson(root)}, not a JSON object`);
    return finish();
  }
  facts.headerParsed = true;
  for (const d of duplicates) {
    violate('duplicate-key', `${d.pointer}/${pointerToken(d.key)}`, at(d.pos), `key ${JSON.stringify(d.key)} occurs more than once${d.pointer === '' ? '' : ` in ${d.pointer}`}: JSON readers disagree on which one counts (most keep the last, some the first), so two tools can load different tensors from the same file`);
  }

  const valid: { t: SafetensorsTensor; begin: bigint; end: bigint; pointer: string }[] = [];
  let seen = 0;
  // Holes are only meaningful when every tensor's range is known.
  let coverageKnown = true;
  for (const entry of root.entries) {
    const pointer = `/${pointerToken(entry.key)}`;
    if (entry.key === '__metadata__') {
      // Spec: "a special key __metadata__ is allowed to contain free form string-to-string map".
      if (entry.value.t === 'null') continue;
      if (entry.value.t !== 'object') {
        violate('metadata', pointer, at(entry.value.pos), `__metadata__ is ${describeJson(entry.value)}; the spec allows only a map of strings to strings`);
        continue;
      }
      for (const m of entry.value.entries) {
        if (m.value.t === 'string') facts.metadata[m.key] = m.value.value;
        else violate('metadata', `${pointer}/${pointerToken(m.key)}`, at(m.value.pos), `__metadata__[${JSON.stringify(m.key)}] is ${describeJson(m.value)}, not a string: the reference reader rejects the file, other readers may interpret the structure`);
      }
      continue;
    }
    seen += 1;
    if (seen > limits.maxTensors) {
      coverageKnown = false;
      violate('tensor-entry', pointer, at(entry.pos), `more than ${limits.maxTensors} tensor entries; the rest were not checked`);
      break;
    }
    if (seen % 1024 === 0) signal?.throwIfAborted();
    const v = entry.value;
    if (v.t !== 'object') {
      coverageKnown = false;
      violate('tensor-entry', pointer, at(v.pos), `tensor ${JSON.stringify(entry.key)} is ${describeJson(v)}, not an object with dtype, shape and data_offsets`);
      continue;
    }
    const field = (name: string): JsonValue | undefined => {
      let found: JsonValue | undefined;
      for (const e of v.entries) if (e.key === name) found = e.value;
      return found;
    };
    const dtypeV = field('dtype');
    const shapeV = field('shape');
    const offV = field('data_offsets');
    const missing: string[] = [];
    if (dtypeV === undefined) missing.push('dtype');
    if (shapeV === undefined) missing.push('shape');
    if (offV === undefined) missing.push('data_offsets');
    if (offV === undefined) coverageKnown = false;
    if (missing.length > 0) {
      violate('tensor-entry', pointer, at(v.pos), `tensor ${JSON.stringify(entry.key)} lacks ${missing.join(', ')}`);
    }
    const t: SafetensorsTensor = { name: entry.key, dtype: '', shape: [], offsets: [0, 0] };
    let bits: number | undefined;
    if (dtypeV !== undefined) {
      if (dtypeV.t === 'string') {
        t.dtype = dtypeV.value;
        bits = dtypeBits(dtypeV.value);
      }
      if (bits === undefined) {
        violate('dtype', `${pointer}/dtype`, at(dtypeV.pos), `tensor ${JSON.stringify(entry.key)} has dtype ${describeJson(dtypeV)}, which the spec does not define`);
      }
    }
    let elements: bigint | undefined;
    if (shapeV !== undefined) {
      const dims = shapeV.t === 'array' && shapeV.items.length <= limits.maxDims ? shapeV.items.map(asU64) : undefined;
      if (dims === undefined || dims.some((d) => d === undefined)) {
        const why = shapeV.t === 'array' && shapeV.items.length > limits.maxDims ? `has ${shapeV.items.length} dimensions (bound ${limits.maxDims})` : `is ${describeJson(shapeV)}${shapeV.t === 'array' ? ` [${shapeV.items.slice(0, 8).map(describeJson).join(', ')}]` : ''}`;
        violate('shape', `${pointer}/shape`, at(shapeV.pos), `tensor ${JSON.stringify(entry.key)} shape ${why}; the spec requires a list of non-negative integers`);
      } else {
        const ds = dims as bigint[];
        t.shape = ds.map(Number);
        elements = ds.reduce((a, b) => a * b, 1n);
      }
    }
    let begin: bigint | undefined;
    let end: bigint | undefined;
    if (offV !== undefined) {
      if (offV.t === 'array' && offV.items.length === 2 && offV.items[0] && offV.items[1]) {
        begin = asU64(offV.items[0]);
        end = asU64(offV.items[1]);
      }
      if (begin === undefined || end === undefined || end < begin) {
        const shown = offV.t === 'array' ? `[${offV.items.slice(0, 4).map(describeJson).join(', ')}${offV.items.length > 4 ? ', ...' : ''}]` : describeJson(offV);
        violate('offsets-form', `${pointer}/data_offsets`, at(offV.pos), `tensor ${JSON.stringify(entry.key)} data_offsets ${shown} is not [begin, end] with non-negative integers and begin <= end`);
        begin = undefined;
        coverageKnown = false;
      } else {
        t.offsets = [Number(begin), Number(end)];
      }
    }
    if (elements !== undefined && bits !== undefined) {
      const totalBits = elements * BigInt(bits);
      if (totalBits % 8n !== 0n) {
        violate('size-mismatch', `${pointer}/shape`, at(v.pos), `tensor ${JSON.stringify(entry.key)} has ${elements} elements of ${bits}-bit ${t.dtype}, which is not a whole number of bytes (the reference reader rejects it: MisalignedSlice)`);
      } else {
        const bytes = totalBits / 8n;
        if (bytes <= BigInt(Number.MAX_SAFE_INTEGER)) t.expectedBytes = Number(bytes);
        if (begin !== undefined && end !== undefined && end - begin !== bytes) {
          violate('size-mismatch', `${pointer}/data_offsets`, at(v.pos), `tensor ${JSON.stringify(entry.key)} (${t.dtype}, shape [${t.shape.join(', ')}]) needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}: readers that trust one of the two read the wrong bytes`);
        }
      }
    }
    facts.tensors.push(t);
    if (begin !== undefined && end !== undefined) {
      if (end > BigInt(facts.dataLength)) {
        violate('out-of-bounds', `${pointer}/data_offsets`, 8 + n + Math.min(t.offsets[0], facts.dataLength), `tensor ${JSON.stringify(entry.key)} data_offsets [${begin}, ${end}] reach past the ${facts.dataLength}-byte data buffer (by ${end - BigInt(facts.dataLength)} bytes): an out-of-bounds read in readers that do not check`);
        // Its in-bounds part still covers bytes: clip it, so the bytes it claims are not also a hole.
        if (begin < BigInt(facts.dataLength)) valid.push({ t, begin, end: BigInt(facts.dataLength), pointer });
      } else {
        valid.push({ t, begin, end, pointer });
      }
    }
  }

  // Reference `validate`: sorted by offsets, each tensor must start where the previous ended and the
  // last must end at the buffer's end. Overlaps let two tensors alias bytes; holes hide bytes that no
  // tensor accounts for (room for an appended payload), which is why they are reported apart.
  valid.sort((a, b) => (a.begin < b.begin ? -1 : a.begin > b.begin ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
  let cursor = 0n;
  let prev: (typeof valid)[number] | undefined;
  for (const x of valid) {
    if (x.begin < cursor && x.end > x.begin && prev) {
      violate('overlap', `${x.pointer}/data_offsets`, 8 + n + Number(x.begin), `tensor ${JSON.stringify(x.t.name)} [${x.begin}, ${x.end}] overlaps tensor ${JSON.stringify(prev.t.name)} [${prev.begin}, ${prev.end}]: the same bytes are read as two tensors`);
    } else if (x.begin > cursor && coverageKnown) {
      violate('hole', `${x.pointer}/data_offsets`, 8 + n + Number(cursor), `bytes [${cursor}, ${x.begin}) of the data buffer belong to no tensor (before ${JSON.stringify(x.t.name)}); the reference reader rejects gaps, and unaccounted bytes can carry hidden content`);
    }
    if (x.end > cursor) {
      cursor = x.end;
      prev = x;
    }
  }
  if (coverageKnown && cursor < BigInt(facts.dataLength)) {
    violate('hole', '', 8 + n + Number(cursor), `the last ${BigInt(facts.dataLength) - cursor} bytes of the data buffer (from buffer offset ${cursor}) belong to no tensor; the reference reader rejects this (MetadataIncompleteBuffer), and appended bytes can carry hidden content`);
  }
  return finish();
}

/**
 * Keras 2 HDF5 models (`model.save("m.h5")`, Keras 3 `legacy_h5_format`): the model is described
 * by root attributes written by `save_model_to_hdf5` — `model_config` (JSON, the architecture),
 * `training_config` (JSON, loss/metrics/optimizer), `keras_version` and `backend` — and the
 * weights live in datasets under `model_weights/` (never read here).
 *
 * HDF5 is read with h5wasm (the HDF5 C library compiled to WebAssembly), loaded lazily:
 * - a file on disk is opened through the `h5wasm/node` build, whose Emscripten NODERAWFS reads the
 *   host file at the offsets HDF5 asks for: the superblock, the root object header and the
 *   attribute messages, a few KB however large the weights are;
 * - bytes in memory (an archive member) go into the in-memory file system of the `h5wasm` (ESM)
 *   build, bounded by `limits.maxMemberBytes`.
 * The HDF5 library runs synchronously; HDF5 errors are turned into exceptions (h5wasm's
 * `activate_throwing_error_handler`) rather than printed to stderr.
 */
import { BulwarkError, isBulwarkError } from '../../errors.js';
import { describeSource, type ByteSource } from '../../io/byte-source.js';
import type { Limits } from '../../io/limits.js';
import { parseKerasConfigJson, type KerasConfigLimits, DEFAULT_KERAS_CONFIG_LIMITS } from './config-walker.js';
import { emptyKerasFacts, mergeKerasFacts, type KerasFacts } from './facts.js';

/** A file on disk, opened by path (preferred: HDF5 then reads only the metadata it needs). */
export interface KerasH5Path {
  path: string;
  /** What messages name (default: `path`). */
  uri?: string;
  member?: string;
}

/** Options of {@link parseKerasH5}. */
export interface KerasH5Options {
  limits: Limits;
  /** Checked between steps; the HDF5 calls themselves are synchronous and short (metadata only). */
  signal?: AbortSignal;
  /** Bounds of the JSON walk (defaults: {@link DEFAULT_KERAS_CONFIG_LIMITS}); `maxConfigChars` also bounds attribute reads. */
  configLimits?: Partial<KerasConfigLimits>;
}

/** Root attributes Keras writes, in the order they are read. */
const KERAS_ATTRIBUTES = ['keras_version', 'backend', 'model_config', 'training_config'] as const;
type KerasAttribute = (typeof KERAS_ATTRIBUTES)[number];

/** Longest `keras_version` / `backend` value kept (they are short identifiers). */
const MAX_SHORT_ATTRIBUTE = 256;

/** `H5T_class_t.H5T_STRING` (H5Tpublic.h): the datatype class of string attributes. */
const H5T_STRING = 3;

/** The Emscripten module of h5wasm (the low-level API its `File` class wraps). */
type H5Module = Awaited<(typeof import('h5wasm'))['ready']>;
type H5Factory = (opts: { noInitialRun: boolean }) => Promise<H5Module>;
interface HeapAccess {
  _malloc(size: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
}
type Kind = 'disk' | 'memory';

const instances: Partial<Record<Kind, Promise<H5Module>>> = {};
let memFileCounter = 0;

/**
 * A fresh instance of one h5wasm build. The factory (`hdf5_util.js`, next to the package entry)
 * is imported by URL because the package exports only the high-level wrapper, whose single
 * module-level instance cannot be replaced; we need replacement because an HDF5 error thrown
 * through the C library (the throwing error handler) leaves its state inconsistent: every later
 * open in that instance fails. Two builds because NODERAWFS (host files) and MEMFS (bytes)
 * cannot share one Emscripten file system.
 */
async function instantiate(kind: Kind): Promise<H5Module> {
  const entry = import.meta.resolve(kind === 'disk' ? 'h5wasm/node' : 'h5wasm');
  const mod = (await import(new URL('./hdf5_util.js', entry).href)) as { default: H5Factory };
  const module = await mod.default({ noInitialRun: true });
  // Errors become exceptions instead of HDF5-DIAG text on stderr (the library never writes stdio).
  module.activate_throwing_error_handler();
  return module;
}

function lib(kind: Kind): Promise<H5Module> {
  return (instances[kind] ??= instantiate(kind));
}

/** Drops an instance after any HDF5 error; the next file gets a fresh one. */
function discard(kind: Kind): void {
  delete instances[kind];
}

function isPath(src: ByteSource | KerasH5Path): src is KerasH5Path {
  return typeof (src as KerasH5Path).path === 'string';
}

function describe(src: ByteSource | KerasH5Path): string {
  return describeSource(isPath(src) ? { ...src, uri: src.uri ?? src.path } : src);
}

/**
 * The gist of an h5wasm error: HDF5 prints its whole error stack (`#000: ... in H5Fopen(): ...`);
 * the innermost frame says what was wrong.
 */
export function summariseHdf5Error(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const frames = [...text.matchAll(/#\d+: .*? in (\w+)\(\): (.*)$/gm)];
  const last = frames[frames.length - 1];
  const minors = [...text.matchAll(/minor: (.*)$/gm)];
  const minor = minors[minors.length - 1]?.[1]?.trim();
  if (last) return `HDF5 ${last[1] ?? ''}: ${last[2]?.trim() ?? ''}${minor ? ` (${minor})` : ''}`;
  return text.split('\n')[0]?.slice(0, 300) ?? 'unknown HDF5 error';
}

/** An error after which the wasm instance cannot be trusted (Emscripten abort, wasm trap). */
function isFatal(err: unknown): boolean {
  return err instanceof Error && (err.name === 'RuntimeError' || err.message.startsWith('Aborted('));
}

interface RawAttributes {
  values: Partial<Record<KerasAttribute, string>>;
  problems: KerasFacts['problems'];
}

/** Reads one scalar string attribute of the root group (h5wasm `get_attr`, for the string case only). */
function readStringAttribute(module: H5Module, fileId: bigint, name: string, meta: { size: number; vlen: boolean; cset?: number }): string {
  const heap = module as unknown as HeapAccess;
  // One element: a char* for variable-length strings, `size` bytes for fixed-length ones.
  const nbytes = meta.vlen ? 4 : meta.size;
  const ptr = heap._malloc(Math.max(1, nbytes));
  if (ptr === 0) throw new BulwarkError('LIMIT_EXCEEDED', `attribute ${name}: could not allocate ${nbytes} bytes`);
  try {
    module.get_attribute_data(fileId, '/', name, BigInt(ptr));
    try {
      if (meta.vlen) {
        const strPtr = new DataView(heap.HEAPU8.buffer).getUint32(ptr, true);
        return strPtr === 0 ? '' : meta.cset === 1 ? module.UTF8ToString(strPtr) : module.AsciiToString(strPtr);
      }
      let bytes = heap.HEAPU8.slice(ptr, ptr + nbytes);
      const nul = bytes.indexOf(0);
      if (nul >= 0) bytes = bytes.subarray(0, nul);
      return new TextDecoder(meta.cset === 1 ? 'utf-8' : 'latin1').decode(bytes);
    } finally {
      if (meta.vlen) module.reclaim_vlen_memory(fileId, '/', name, BigInt(ptr));
    }
  } finally {
    heap._free(ptr);
  }
}

/** Reads the Keras root attributes of a file; checks each one's declared size before reading it. */
function readAttributes(module: H5Module, filename: string, where: string, maxChars: number): RawAttributes {
  const out: RawAttributes = { values: {}, problems: [] };
  const fileId = module.open(filename, module.H5F_ACC_RDONLY, false, -1, -1);
  if (fileId < 0n) throw new BulwarkError('PARSE_ERROR', `${where}: HDF5 could not open the file (expected an HDF5 superblock)`);
  try {
    const names = new Set(module.get_attribute_names(fileId, '/'));
    for (const name of KERAS_ATTRIBUTES) {
      if (!names.has(name)) continue;
      const meta = module.get_attribute_metadata(fileId, '/', name);
      const bound = name === 'keras_version' || name === 'backend' ? MAX_SHORT_ATTRIBUTE : maxChars;
      if (meta.type !== H5T_STRING) {
        out.problems.push({ origin: 'h5', kind: 'bad-attribute', pointer: `/@${name}`, message: `root attribute ${name} is not a string (HDF5 type class ${meta.type}); Keras writes a JSON string` });
        continue;
      }
      if (meta.total_size !== 1) {
        out.problems.push({ origin: 'h5', kind: 'bad-attribute', pointer: `/@${name}`, message: `root attribute ${name} holds ${meta.total_size} strings; Keras writes one` });
        continue;
      }
      // Fixed-length strings declare their size: refuse before reading. Variable-length ones are
      // only known once read (their bytes live in the file's global heap, so at most the file size).
      if (!meta.vlen && meta.size > bound) {
        out.problems.push({ origin: 'h5', kind: 'too-large', pointer: `/@${name}`, message: `root attribute ${name} is ${meta.size} bytes, over the ${bound} limit; it was not read` });
        continue;
      }
      const text = readStringAttribute(module, fileId, name, meta);
      if (text.length > bound) {
        out.problems.push({ origin: 'h5', kind: 'too-large', pointer: `/@${name}`, message: `root attribute ${name} is ${text.length} characters, over the ${bound} limit; it was not analysed` });
        continue;
      }
      out.values[name] = text;
    }
  } finally {
    module.close_file(fileId);
  }
  return out;
}

async function readFromPath(src: KerasH5Path, where: string, maxChars: number): Promise<RawAttributes> {
  return readAttributes(await lib('disk'), src.path, where, maxChars);
}

async function readFromBytes(src: ByteSource, where: string, maxChars: number, limits: Limits, signal: AbortSignal | undefined): Promise<RawAttributes> {
  if (src.size > limits.maxMemberBytes) {
    throw new BulwarkError('LIMIT_EXCEEDED', `${where}: HDF5 data of ${src.size} bytes is over the in-memory limit maxMemberBytes=${limits.maxMemberBytes}; scan the file by path instead`);
  }
  const bytes = await src.read(0, src.size);
  checkAbort(signal, where);
  const module = await lib('memory');
  const name = `/bulwark-keras-${++memFileCounter}.h5`;
  module.FS.writeFile(name, bytes);
  try {
    return readAttributes(module, name, where, maxChars);
  } finally {
    module.FS.unlink(name);
  }
}

function checkAbort(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted === true) throw new BulwarkError('ABORTED', `${where}: Keras HDF5 parsing was aborted`, { cause: signal.reason });
}

/**
 * Reads a Keras HDF5 model's root attributes and walks its `model_config` and `training_config`.
 * Weights are never read. A file without `model_config` (a weights-only file) gives facts with no
 * documents. Throws BulwarkError: PARSE_ERROR when the bytes are not HDF5 that the library can
 * open, LIMIT_EXCEEDED when in-memory bytes exceed `limits.maxMemberBytes`, ABORTED on abort,
 * UNSUPPORTED when the HDF5 library failed fatally (a wasm trap). After any HDF5 error the wasm
 * instance is replaced, so one hostile file cannot break the files after it.
 */
export async function parseKerasH5(src: ByteSource | KerasH5Path, opts: KerasH5Options): Promise<KerasFacts> {
  const where = describe(src);
  checkAbort(opts.signal, where);
  const configLimits: Partial<KerasConfigLimits> = { ...opts.configLimits };
  if (configLimits.maxDepth === undefined) configLimits.maxDepth = Math.min(opts.limits.maxDepth, DEFAULT_KERAS_CONFIG_LIMITS.maxDepth);
  const maxChars = configLimits.maxConfigChars ?? DEFAULT_KERAS_CONFIG_LIMITS.maxConfigChars;
  let raw: RawAttributes;
  try {
    raw = isPath(src) ? await readFromPath(src, where, maxChars) : await readFromBytes(src, where, maxChars, opts.limits, opts.signal);
  } catch (err) {
    // After any error inside HDF5 the instance is not trusted again (see instantiate).
    discard(isPath(src) ? 'disk' : 'memory');
    if (isBulwarkError(err)) throw err;
    if (isFatal(err)) {
      throw new BulwarkError('UNSUPPORTED', `${where}: the HDF5 library failed on this file (${summariseHdf5Error(err)})`, { cause: err });
    }
    throw new BulwarkError('PARSE_ERROR', `${where}: not a readable HDF5 file: ${summariseHdf5Error(err)}`, { cause: err });
  }
  checkAbort(opts.signal, where);

  let facts = emptyKerasFacts('h5');
  facts.problems.push(...raw.problems);
  if (raw.values.keras_version !== undefined) facts.keras_version = raw.values.keras_version;
  if (raw.values.backend !== undefined) facts.backend = raw.values.backend;
  const walkOpts = opts.signal ? { limits: configLimits, signal: opts.signal, container: 'h5' as const } : { limits: configLimits, container: 'h5' as const };
  if (raw.values.model_config !== undefined) facts = mergeKerasFacts(facts, parseKerasConfigJson(raw.values.model_config, 'h5-model_config', walkOpts));
  if (raw.values.training_config !== undefined) facts = mergeKerasFacts(facts, parseKerasConfigJson(raw.values.training_config, 'h5-training_config', walkOpts));
  return facts;
}

import { BulwarkError, isBulwarkError } from '../errors.js';
import { parseGguf } from '../formats/gguf/index.js';
import { parseKerasH5, parseKerasV3Config, sniffKerasZip } from '../formats/keras/index.js';
import { analyseChatTemplate } from '../formats/jinja/index.js';
import { parseOnnx, type ParseOnnxOptions, type SiblingFileInfo } from '../formats/onnx/index.js';
import { parseSafetensors } from '../formats/safetensors/index.js';
import { parseKerasMetadata, parseTensorflow } from '../formats/tensorflow/index.js';
import { HF_CONFIG_NAMES, MAX_HF_CONFIG_BYTES, parseHfConfigBytes } from '../formats/hf-config/index.js';
import { parseNpyHeader } from '../formats/numpy/index.js';
import { looksLikeProtocol01Pickle, parsePickle, sniffPickle } from '../formats/pickle/index.js';
import {
  childMember,
  decompressToSource,
  describeSource,
  findTarAnomalies,
  openZipMember,
  readTarEntries,
  readZipDirectory,
  sliceSource,
  type ByteSource,
  type InflateBudget,
  type Limits,
  type ZipEntry,
} from '../io/index.js';
import type { ReportError, Skipped } from '../report/index.js';
import type { ChatTemplateEntry, Facts, RuleContext } from '../rules/index.js';
import { SNIFF_BYTES, isTorchLegacy, sniffMagic, sniffNamed, type DetectedFormat } from './sniff.js';

/** Facts plus where they came from; the scanner adds the user's policy and runs the rules. */
export interface LocatedFacts {
  facts: Facts;
  where: Omit<RuleContext, 'callables'>;
}

/** Counters the scan reports as metrics. */
export interface AnalysisCounters {
  pickleStreams: number;
  pickleOpcodes: number;
  archiveMembers: number;
  membersAnalysed: number;
}

/** Everything one top-level file's analysis collects. */
export interface AnalysisSink {
  located: LocatedFacts[];
  errors: ReportError[];
  skipped: Skipped[];
  counters: AnalysisCounters;
}

/** Inputs shared by the whole analysis of one top-level file. */
export interface AnalysisEnv {
  limits: Limits;
  signal: AbortSignal;
  budget: InflateBudget;
  sink: AnalysisSink;
  /**
   * Whether a file of that relative name exists beside the top-level file being analysed. Names
   * come from untrusted content, so implementations must refuse names that leave the directory.
   */
  siblingExists?: (relativeName: string) => Promise<boolean>;
  /** Path on disk of the top-level file (formats whose library opens files itself, such as HDF5). */
  filePath?: string;
  /** Size and link status of a file beside the top-level file (ONNX external data); same confinement. */
  siblingInfo?: (relativeName: string) => Promise<SiblingFileInfo | undefined>;
}

/** Extension (lower-case, with the dot) of the last path segment; `.gz` etc. are real extensions here. */
export function extensionOf(name: string): string {
  const base = baseName(name);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** The name the bytes were stored under: the innermost member, else the file. */
function leafName(src: ByteSource): string {
  if (src.member === undefined) return src.uri;
  const parts = src.member.split('!');
  return parts[parts.length - 1] ?? src.uri;
}

function where(src: ByteSource, container: RuleContext['container']): LocatedFacts['where'] {
  return src.member === undefined ? { uri: src.uri, container } : { uri: src.uri, member: src.member, container };
}

/** Records an error for `src` without stopping the scan (user aborts still propagate). */
function recordError(env: AnalysisEnv, src: ByteSource, err: unknown): void {
  if (isBulwarkError(err, 'ABORTED') && !env.signal.aborted) throw err;
  if (env.signal.aborted && !(isBulwarkError(err) && err.code !== 'ABORTED')) {
    env.sink.errors.push({
      uri: src.uri,
      code: 'LIMIT_EXCEEDED',
      message: `${describeSource(src)}: analysis stopped after the per-file time limit (${env.limits.timeoutMs} ms)`,
    });
    return;
  }
  if (isBulwarkError(err)) {
    const msg = err.message.startsWith(src.uri) ? err.message : `${describeSource(src)}: ${err.message}`;
    env.sink.errors.push({ uri: src.uri, code: err.code, message: msg });
    return;
  }
  throw err;
}

/** Sniffs `src` by content: magic numbers, then a bounded trial parse for protocol 0/1 pickles. */
export async function detectFormat(src: ByteSource, head: Uint8Array, limits: Limits): Promise<DetectedFormat> {
  const magic = sniffMagic(head, src.size);
  if (magic !== undefined) return magic;
  const named = sniffNamed(head, baseName(leafName(src)), src.size);
  if (named !== undefined) return named;
  if (await looksLikeProtocol01Pickle(src, limits)) return 'pickle';
  return 'unknown';
}

/** Parses every pickle stream of `src` from `start` and records the facts. */
async function analysePickle(
  src: ByteSource,
  container: RuleContext['container'],
  env: AnalysisEnv,
  start = 0,
): Promise<void> {
  const facts = await parsePickle(src, { limits: env.limits, signal: env.signal, start });
  const isJoblib = facts.joblibArrays.length > 0 || facts.streams.some((s) => s.origin === 'joblib-inline');
  env.sink.located.push({ facts, where: where(src, container === 'plain' && isJoblib ? 'joblib' : container) });
  env.sink.counters.pickleStreams += facts.streams.length;
  env.sink.counters.pickleOpcodes += facts.opcodeCount;
  if (facts.limitHit) {
    env.sink.errors.push({
      uri: src.uri,
      code: 'LIMIT_EXCEEDED',
      message: `${describeSource(src)}: pickle limit ${facts.limitHit.limit} reached at offset ${facts.limitHit.offset}; the rest was not analysed`,
    });
  }
}

/**
 * Looks for a zip archive that does not start at offset 0 (found by its end-of-central-directory
 * record, as Python's zipfile and unzip find it). Only a probe: content with no valid directory is
 * simply not a zip, and produces no error. Returns undefined when there is no archive, else
 * whether the archive holds executable content.
 */
async function analyseEmbeddedZip(src: ByteSource, depth: number, env: AnalysisEnv): Promise<boolean | undefined> {
  try {
    await readZipDirectory(src, env.limits);
  } catch {
    return undefined;
  }
  return analyseZip(src, depth, env);
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** Formats a file name alone is strong enough evidence for, when the content fails the sniff. */
function claimedFormat(name: string): 'safetensors' | 'onnx' | 'tensorflow' | undefined {
  if (name === 'saved_model.pb') return 'tensorflow';
  const ext = extensionOf(name);
  return ext === '.safetensors' ? 'safetensors' : ext === '.onnx' ? 'onnx' : undefined;
}

async function analyseClaimed(src: ByteSource, claimed: 'safetensors' | 'onnx' | 'tensorflow', env: AnalysisEnv): Promise<void> {
  switch (claimed) {
    case 'safetensors':
      if (src.size >= 8) env.sink.located.push({ facts: await parseSafetensors(src, { signal: env.signal }), where: where(src, 'other') });
      return;
    case 'onnx':
      env.sink.located.push({ facts: await parseOnnx(src, { limits: env.limits, signal: env.signal }), where: where(src, 'other') });
      return;
    case 'tensorflow':
      env.sink.located.push({ facts: await parseTensorflow(src, { limits: env.limits, signal: env.signal, container: 'saved-model', name: baseName(leafName(src)) }), where: where(src, 'other') });
      return;
    default: {
      const never: never = claimed;
      throw new BulwarkError('INTERNAL', `unhandled claimed format ${String(never)}`);
    }
  }
}

/** Parses a Hugging Face config file and checks which referenced code files sit beside it. */
async function analyseHfConfig(src: ByteSource, env: AnalysisEnv): Promise<void> {
  if (src.size > MAX_HF_CONFIG_BYTES) {
    throw new BulwarkError('LIMIT_EXCEEDED', `${describeSource(src)}: config file larger than ${MAX_HF_CONFIG_BYTES} bytes`);
  }
  const facts = parseHfConfigBytes(await src.read(0, src.size), baseName(leafName(src)), describeSource(src));
  const local = [...facts.autoMap.filter((e) => e.remoteRepo === undefined).map((e) => e.module), ...facts.customPipelines.map((p) => p.impl.replace(/\.py$/, ''))];
  if (local.length > 0 && src.member === undefined && env.siblingExists) {
    const files = [...new Set(local.map((m) => `${m.replace(/\./g, '/')}.py`))].sort();
    facts.codeFiles = await Promise.all(files.map(async (file) => ({ file, present: (await env.siblingExists?.(file)) ?? false })));
  }
  env.sink.located.push({ facts, where: where(src, 'other') });
  if (facts.chatTemplates.length > 0) {
    const templates: ChatTemplateEntry[] = facts.chatTemplates.map((t) => ({
      key: t.pointer,
      byteLength: Buffer.byteLength(t.template),
      truncated: false,
      analysis: analyseChatTemplate(t.template),
    }));
    env.sink.located.push({ facts: { kind: 'chat-templates', templates }, where: where(src, 'other') });
  }
}

/** Largest Keras v3 config.json / metadata.json read into memory. */
const MAX_KERAS_JSON_BYTES = 64 * 1024 * 1024;

/** Reads a Keras v3 archive's config.json (and metadata.json) and judges the model config. */
async function analyseKerasZip(src: ByteSource, files: readonly ZipEntry[], env: AnalysisEnv): Promise<boolean> {
  const text = async (name: string): Promise<string | undefined> => {
    const entry = files.find((e) => e.name === name);
    if (!entry) return undefined;
    if (entry.uncompressedSize > MAX_KERAS_JSON_BYTES) {
      throw new BulwarkError('LIMIT_EXCEEDED', `${describeSource(src)}!${name}: larger than ${MAX_KERAS_JSON_BYTES} bytes`);
    }
    const member = await openZipMember(src, entry, { limits: env.limits, budget: env.budget });
    return new TextDecoder().decode(await member.read(0, member.size));
  };
  const config = await text('config.json');
  if (config === undefined) return false;
  const facts = parseKerasV3Config(config, await text('metadata.json'), { signal: env.signal });
  const member = childMember(src, 'config.json');
  env.sink.located.push({ facts, where: { uri: src.uri, member, container: 'other' } });
  return facts.lambdas.length > 0;
}

/** A PyTorch zip storage member (`<archive>/data/<n>`): raw tensor bytes, never unpickled by torch. */
function isTorchStorage(name: string): boolean {
  return /(^|\/)data\/\d+$/.test(name);
}

async function analyseZip(src: ByteSource, depth: number, env: AnalysisEnv): Promise<boolean> {
  const dir = await readZipDirectory(src, env.limits);
  env.sink.located.push({ facts: { kind: 'archive', format: 'zip', anomalies: dir.anomalies }, where: where(src, 'other') });
  const files: ZipEntry[] = dir.entries.filter((e) => !e.isDirectory);
  env.sink.counters.archiveMembers += files.length;
  // PyTorch writes `<folder>/data.pkl`; the folder name is free, so match any folder.
  const isTorch = files.some((e) => /(^|\/)data\.pkl$/.test(e.name));
  let executable = false;
  if (sniffKerasZip(files.map((e) => e.name))) {
    try {
      executable = await analyseKerasZip(src, files, env);
    } catch (err) {
      recordError(env, { ...src, member: childMember(src, 'config.json') }, err);
    }
  }
  for (const entry of files) {
    env.signal.throwIfAborted();
    let member: ByteSource = { ...src, member: childMember(src, entry.name) };
    try {
      member = await openZipMember(src, entry, { limits: env.limits, budget: env.budget });
      if (isTorch && isTorchStorage(entry.name)) {
        // Storages are tensor bytes: read only their head, and judge them as a pickle only if they
        // really are one (a complete stream), so 2 GB of weights cost one small read.
        const head = await member.read(0, 16);
        if (sniffPickle(head)) await analyseTorchStorage(member, env);
        continue;
      }
      const inner = await analyseSource(member, depth + 1, env);
      executable ||= inner;
    } catch (err) {
      recordError(env, member, err);
    }
  }
  return executable || isTorch;
}

async function analyseTorchStorage(member: ByteSource, env: AnalysisEnv): Promise<void> {
  const facts = await parsePickle(member, { limits: env.limits, signal: env.signal });
  const first = facts.streams[0];
  if (first?.complete && (first.globals.length > 0 || facts.streams.length > 1)) {
    env.sink.located.push({ facts, where: where(member, 'pytorch-zip') });
    env.sink.counters.pickleStreams += facts.streams.length;
    env.sink.counters.pickleOpcodes += facts.opcodeCount;
  }
}

/** Members of PyTorch's legacy tar format that hold pickles. */
const TORCH_TAR_PICKLES = new Set(['sys_info', 'pickle', 'storages', 'tensors']);

async function analyseTar(src: ByteSource, depth: number, env: AnalysisEnv): Promise<boolean> {
  const entries = await readTarEntries(src, env.limits);
  env.sink.located.push({ facts: { kind: 'archive', format: 'tar', anomalies: findTarAnomalies(entries) }, where: where(src, 'other') });
  const files = entries.filter((e) => e.type === 'file');
  env.sink.counters.archiveMembers += files.length;
  const names = new Set(files.map((e) => e.name));
  const isTorchTar = names.has('pickle') && names.has('sys_info');
  let executable = isTorchTar;
  for (const e of files) {
    env.signal.throwIfAborted();
    const member = sliceSource(src, e.dataOffset, e.size, childMember(src, e.name));
    try {
      if (isTorchTar && TORCH_TAR_PICKLES.has(e.name)) await analysePickle(member, 'pytorch-legacy', env);
      else executable = (await analyseSource(member, depth + 1, env)) || executable;
    } catch (err) {
      recordError(env, member, err);
    }
  }
  return executable;
}

/**
 * Analyses one source (file or member) by its content, recursing into containers up to
 * `limits.maxNesting`. Returns true when the content can execute code on load.
 * Failures become report errors; only a user abort propagates.
 */
export async function analyseSource(src: ByteSource, depth: number, env: AnalysisEnv): Promise<boolean> {
  env.signal.throwIfAborted();
  if (depth > env.limits.maxNesting) {
    throw new BulwarkError('LIMIT_EXCEEDED', `${describeSource(src)}: containers nested deeper than ${env.limits.maxNesting} levels`);
  }
  if (depth > 0) env.sink.counters.membersAnalysed += 1;
  const head = await src.read(0, SNIFF_BYTES);
  const detected = await detectFormat(src, head, env.limits);
  let executable = false;
  switch (detected) {
    case 'pickle':
      await analysePickle(src, isTorchLegacy(head) ? 'pytorch-legacy' : 'plain', env);
      executable = true;
      // A pickle/zip polyglot: torch.load sees the pickle, zip-based tools see the archive.
      if (await analyseEmbeddedZip(src, depth, env)) executable = true;
      break;
    case 'zip':
      executable = await analyseZip(src, depth, env);
      break;
    case 'tar':
      executable = await analyseTar(src, depth, env);
      break;
    case 'gzip':
    case 'zlib':
    case 'bzip2':
    case 'xz':
    case 'lz4':
    case 'zstd': {
      const inner = await decompressToSource(src, detected, { limits: env.limits, budget: env.budget });
      executable = await analyseSource(inner, depth + 1, env);
      break;
    }
    case 'npy': {
      const header = await parseNpyHeader(src);
      if (header.hasObject) {
        env.sink.located.push({
          facts: { kind: 'npy', descr: header.descr, shape: header.shape, hasObject: true, dataOffset: header.dataOffset },
          where: where(src, 'npy'),
        });
        await analysePickle(src, 'npy', env, header.dataOffset);
        executable = true;
      }
      break;
    }
    case 'native':
    case 'script':
      // Judged from the file facts (BW-REP-002); nothing inside to parse.
      executable = true;
      break;
    case 'safetensors':
      env.sink.located.push({ facts: await parseSafetensors(src, { signal: env.signal }), where: where(src, 'other') });
      break;
    case 'gguf': {
      const facts = await parseGguf(src, { signal: env.signal });
      env.sink.located.push({ facts, where: where(src, 'other') });
      if (facts.chatTemplates.length > 0) {
        env.sink.located.push({ facts: { kind: 'chat-templates', templates: facts.chatTemplates }, where: where(src, 'other') });
      }
      break;
    }
    case 'onnx': {
      const opts: ParseOnnxOptions = { limits: env.limits, signal: env.signal };
      // External data is resolved beside the model file only (not inside archives).
      if (src.member === undefined && env.siblingInfo) opts.resolveSibling = env.siblingInfo;
      env.sink.located.push({ facts: await parseOnnx(src, opts), where: where(src, 'other') });
      break;
    }
    case 'tensorflow':
      env.sink.located.push({ facts: await parseTensorflow(src, { limits: env.limits, signal: env.signal, name: baseName(leafName(src)) }), where: where(src, 'other') });
      break;
    case 'keras-metadata':
      env.sink.located.push({ facts: await parseKerasMetadata(src, { limits: env.limits, signal: env.signal }), where: where(src, 'other') });
      break;
    case 'hdf5': {
      // A file on disk is opened by path, so h5wasm reads only the metadata it needs, never the weights.
      const input = src.member === undefined && env.filePath !== undefined ? { path: env.filePath, uri: src.uri } : src;
      const facts = await parseKerasH5(input, { limits: env.limits, signal: env.signal });
      env.sink.located.push({ facts, where: where(src, 'other') });
      executable = facts.lambdas.length > 0;
      break;
    }
    case 'unknown': {
      if (HF_CONFIG_NAMES.has(baseName(leafName(src)))) {
        await analyseHfConfig(src, env);
        break;
      }
      // Named as a format but failing even its sniff (a header length beyond the file, a truncated
      // protobuf): validate it as what it claims to be, so the defect is named, not just the mismatch.
      const claimed = claimedFormat(baseName(leafName(src)));
      if (claimed !== undefined && src.size > 0) {
        await analyseClaimed(src, claimed, env);
        break;
      }
      // Zip readers find an archive by its end record, whatever precedes it (self-extracting stubs).
      const embedded = await analyseEmbeddedZip(src, depth, env);
      if (embedded === undefined && depth === 0) env.sink.skipped.push({ uri: src.uri, reason: 'not a model format Bulwark recognises' });
      executable = embedded ?? false;
      break;
    }
    default: {
      const never: never = detected;
      throw new BulwarkError('INTERNAL', `unhandled format ${String(never)}`);
    }
  }
  env.sink.located.push({
    facts: { kind: 'file', extension: extensionOf(leafName(src)), detected, executable },
    where: where(src, 'other'),
  });
  return executable;
}

export { recordError };

import { createHash } from 'node:crypto';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { BulwarkError } from '../errors.js';
import { DEFAULT_HASH_POOL_OPTIONS, hashRanges, type HashTask } from './hash-pool.js';
import { compareCodePoint, comparePathComponents, listModel, normaliseIgnorePath, type ModelFile } from './walk.js';
import {
  DEFAULT_IGNORE_PATHS,
  DEFAULT_SHARD_SIZE,
  DEFAULT_SIGN_LIMITS,
  type HashAlgorithm,
  type HashProgress,
  type ModelManifest,
  type Resource,
  type ResourceOrder,
  type SerializationMethod,
  type SignLimits,
} from './types.js';

/** Options of {@link computeManifest}: what to hash and how (one object; defaults below). */
export interface ManifestOptions {
  /** A model directory or a single model file. */
  modelPath: string;
  method?: SerializationMethod;
  hashType?: HashAlgorithm;
  /** Shards only: bytes per shard (a positive integer). */
  shardSize?: number;
  /** Extra paths to exclude, relative to the model root (OMS §6.2.1). Defaults are always added. */
  ignorePaths?: readonly string[];
  /** The signature file: excluded from the manifest when it lies inside the model (OMS §6.2). */
  signaturePath?: string | undefined;
  allowSymlinks?: boolean;
  order?: ResourceOrder;
  /** How a single-file model's resource is named: `.` (Python reference) or its file name. */
  singleFileName?: 'dot' | 'basename';
  /** Hash workers; 0 = one per core (capped). */
  concurrency?: number;
  /** Bytes per read in each worker. */
  chunkSize?: number;
  limits?: Partial<SignLimits>;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: HashProgress) => void) | undefined;
}

/** Defaults of {@link ManifestOptions}, applied once by {@link resolveManifestOptions}. */
export const DEFAULT_MANIFEST_OPTIONS = Object.freeze({
  method: 'files',
  hashType: 'sha256',
  shardSize: DEFAULT_SHARD_SIZE,
  ignorePaths: [] as readonly string[],
  allowSymlinks: false,
  order: 'code-point',
  singleFileName: 'dot' as const,
  concurrency: DEFAULT_HASH_POOL_OPTIONS.concurrency,
  chunkSize: DEFAULT_HASH_POOL_OPTIONS.chunkSize,
});

/** SHA-256 over the raw bytes of the hex digests, in order (OMS §6.5.1). */
export function rootDigestOf(digests: Iterable<string>): string {
  const h = createHash('sha256');
  for (const d of digests) h.update(Buffer.from(d, 'hex'));
  return h.digest('hex');
}

/** The resource `algorithm` for a serialization (OMS §6.3; `sha256-sharded-N` for shards, as Python and Go accept). */
export function resourceAlgorithm(method: SerializationMethod, hashType: HashAlgorithm, shardSize: number): string {
  switch (method) {
    case 'files':
      return hashType;
    case 'shards':
      return `${hashType}-sharded-${shardSize}`;
    default: {
      const never: never = method;
      return never;
    }
  }
}

/** Splits a shard resource name `path:start:end` (OMS §6.3.2: the last two colon fields). */
export function parseShardName(name: string): { file: string; start: number; end: number } | undefined {
  const m = /^(.*):(\d{1,16}):(\d{1,16})$/s.exec(name);
  if (!m) return undefined;
  const start = Number(m[2]);
  const end = Number(m[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) return undefined;
  return { file: m[1]!, start, end };
}

/** Shard ranges of a file of `size` bytes (none for an empty file, OMS §6.3.2). */
export function shardRanges(size: number, shardSize: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += shardSize) out.push({ start, end: Math.min(size, start + shardSize) });
  return out;
}

/** All ignore paths for a model: the defaults, the caller's, and the signature file if inside. */
export function effectiveIgnorePaths(modelPath: string, extra: readonly string[], signaturePath: string | undefined): string[] {
  const root = resolve(modelPath);
  const out = new Set<string>(DEFAULT_IGNORE_PATHS);
  for (const p of extra) {
    const n = normaliseIgnorePath(root, p);
    if (n !== undefined) out.add(n);
  }
  if (signaturePath !== undefined) {
    const rel = relative(root, resolve(signaturePath));
    if (rel !== '' && rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel)) out.add(rel.split(sep).join('/'));
  }
  return [...out];
}

type Resolved = Required<Omit<ManifestOptions, 'signal' | 'onProgress' | 'signaturePath' | 'limits'>> & {
  signaturePath: string | undefined;
  limits: SignLimits;
  signal: AbortSignal | undefined;
  onProgress: ((p: HashProgress) => void) | undefined;
};

/** Applies the defaults and checks the options (a bad shard size is a usage error). */
export function resolveManifestOptions(o: ManifestOptions): Resolved {
  const r: Resolved = {
    modelPath: o.modelPath,
    method: o.method ?? DEFAULT_MANIFEST_OPTIONS.method,
    hashType: o.hashType ?? DEFAULT_MANIFEST_OPTIONS.hashType,
    shardSize: o.shardSize ?? DEFAULT_MANIFEST_OPTIONS.shardSize,
    ignorePaths: o.ignorePaths ?? DEFAULT_MANIFEST_OPTIONS.ignorePaths,
    signaturePath: o.signaturePath,
    allowSymlinks: o.allowSymlinks ?? DEFAULT_MANIFEST_OPTIONS.allowSymlinks,
    order: o.order ?? DEFAULT_MANIFEST_OPTIONS.order,
    singleFileName: o.singleFileName ?? DEFAULT_MANIFEST_OPTIONS.singleFileName,
    concurrency: o.concurrency ?? DEFAULT_MANIFEST_OPTIONS.concurrency,
    chunkSize: o.chunkSize ?? DEFAULT_MANIFEST_OPTIONS.chunkSize,
    limits: { ...DEFAULT_SIGN_LIMITS, ...o.limits },
    signal: o.signal,
    onProgress: o.onProgress,
  };
  if (!Number.isSafeInteger(r.shardSize) || r.shardSize <= 0) {
    throw new BulwarkError('USAGE', `shard size must be a positive integer number of bytes, got ${String(o.shardSize)}`);
  }
  return r;
}

/** Hash tasks for files: one per file, or one per shard. Empty files have no shard (OMS §6.3.2). */
export function tasksFor(files: readonly ModelFile[], method: SerializationMethod, shardSize: number): { file: ModelFile; task: HashTask }[] {
  const out: { file: ModelFile; task: HashTask }[] = [];
  for (const file of files) {
    switch (method) {
      case 'files':
        out.push({ file, task: { path: file.path, start: 0, end: file.size, checkEof: true } });
        break;
      case 'shards': {
        const ranges = shardRanges(file.size, shardSize);
        ranges.forEach((r, i) => out.push({ file, task: { path: file.path, start: r.start, end: r.end, checkEof: i === ranges.length - 1 } }));
        break;
      }
      default: {
        const never: never = method;
        return never;
      }
    }
  }
  return out;
}

/**
 * Computes a model's OMS manifest: lists the files (OMS §6.1-6.2), hashes them in the worker
 * pool (OMS §6.3), names and orders the resources (OMS §6.4) and computes the root digest
 * (OMS §6.5.1). Throws BulwarkError for an empty model, a symlink that is not allowed, an
 * unreadable file or a limit.
 */
export async function computeManifest(options: ManifestOptions): Promise<ModelManifest> {
  const o = resolveManifestOptions(options);
  const ignorePaths = effectiveIgnorePaths(o.modelPath, o.ignorePaths, o.signaturePath);
  const listing = await listModel(o.modelPath, { ignorePaths, allowSymlinks: o.allowSymlinks, limits: o.limits, signal: o.signal });
  if (listing.symlinks.length > 0) {
    throw new BulwarkError('UNSUPPORTED', `${o.modelPath}: ${listing.symlinks[0]!} is a symbolic link; pass allowSymlinks (--allow-symlinks) to follow links (OMS §6.1.1)`);
  }
  if (listing.special.length > 0) {
    throw new BulwarkError('UNSUPPORTED', `${o.modelPath}: ${listing.special[0]!} is not a regular file (socket, FIFO or device); remove or ignore it`);
  }
  if (listing.files.length === 0) {
    throw new BulwarkError('USAGE', `${o.modelPath}: the model has no files to sign after exclusions (${ignorePaths.join(', ')}); an empty model is refused (OMS §6.1)`);
  }
  const singleName = (f: ModelFile): string => (listing.singleFile && o.singleFileName === 'dot' ? '.' : f.name);
  const planned = tasksFor(listing.files, o.method, o.shardSize);
  if (planned.length > o.limits.maxResources) {
    throw new BulwarkError('LIMIT_EXCEEDED', `${o.modelPath}: ${planned.length} resources exceed the limit of ${o.limits.maxResources} (limit maxResources); use a larger shard size`);
  }
  const outcomes = await hashRanges(
    planned.map((p) => p.task),
    { algorithm: o.hashType, concurrency: o.concurrency, chunkSize: o.chunkSize, signal: o.signal, onProgress: o.onProgress },
  );
  const algorithm = resourceAlgorithm(o.method, o.hashType, o.shardSize);
  const resources: Resource[] = planned.map((p, i) => {
    const r = outcomes[i]!;
    if (!r.ok) throw new BulwarkError('FILE_UNREADABLE', `${o.modelPath}: cannot read ${p.file.name} (${r.message})`);
    const base = singleName(p.file);
    const name = o.method === 'shards' ? `${base}:${p.task.start}:${p.task.end}` : base;
    return { name, algorithm, digest: r.digest };
  });
  const cmp = o.order === 'code-point' ? compareCodePoint : comparePathComponents;
  // Shards of one file stay in offset order under path-component order (the reference's layout).
  resources.sort((a, b) => {
    if (o.order === 'path-components' && o.method === 'shards') {
      const sa = parseShardName(a.name);
      const sb = parseShardName(b.name);
      if (sa && sb) return cmp(sa.file, sb.file) || sa.start - sb.start;
    }
    return cmp(a.name, b.name);
  });
  const serialization: ModelManifest['serialization'] = {
    method: o.method,
    hash_type: o.hashType,
    allow_symlinks: o.allowSymlinks,
    ignore_paths: ignorePaths,
  };
  if (o.method === 'shards') serialization.shard_size = o.shardSize;
  return {
    subjectName: basename(resolve(o.modelPath)),
    rootDigest: rootDigestOf(resources.map((r) => r.digest)),
    serialization,
    resources,
    files: listing.files.length,
    bytes: listing.files.reduce((n, f) => n + f.size, 0),
    singleFile: listing.singleFile,
    warnings: listing.warnings,
  };
}

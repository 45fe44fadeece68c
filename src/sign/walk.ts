import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BulwarkError } from '../errors.js';
import type { SignLimits } from './types.js';

/** A regular file of a model, named as OMS names it. */
export interface ModelFile {
  /** POSIX path relative to the model root (OMS §6.1.2); the file name for a single-file model. */
  name: string;
  /** Where to read it (the target for a followed symlink). */
  path: string;
  size: number;
}

/** What enumerating a model found. */
export interface ModelListing {
  /** The model path is a single regular file. */
  singleFile: boolean;
  /** Regular files, sorted by code point of `name`. */
  files: ModelFile[];
  /** Symlinks met while they are not allowed (names relative to the root). */
  symlinks: string[];
  /** Neither files, directories nor symlinks (sockets, FIFOs, devices): never read. */
  special: string[];
  warnings: string[];
}

/** Options of {@link listModel}. */
export interface ListOptions {
  /** Relative POSIX paths excluded with their subtrees (OMS §6.2.1: exact paths from the root). */
  ignorePaths: readonly string[];
  allowSymlinks: boolean;
  limits: Pick<SignLimits, 'maxFiles' | 'maxDepth'>;
  signal?: AbortSignal | undefined;
}

/** Code-point order of whole names (OMS §5.2.1): UTF-8 byte order equals code-point order. */
export function compareCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The Python reference's order: by path components, so `sub/a` sorts before `sub-x`. */
export function comparePathComponents(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = compareCodePoint(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/**
 * Normalises an ignore entry to a POSIX path relative to `root` (OMS §6.2.1), or undefined when
 * it cannot name anything inside the model ("", ".", "..", a path outside the root).
 */
export function normaliseIgnorePath(root: string, entry: string): string | undefined {
  let rel = entry.replaceAll('\\', '/');
  if (isAbsolute(entry)) {
    rel = relative(root, entry).split(sep).join('/');
  }
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) return undefined;
  return parts.join('/');
}

function isIgnored(name: string, ignore: readonly string[]): boolean {
  return ignore.some((p) => name === p || name.startsWith(p + '/'));
}

function checkAbort(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new BulwarkError('ABORTED', `listing ${where} was aborted`, { cause: signal.reason });
}

/**
 * Enumerates a model (OMS §6.1): every regular file under `root` (or `root` itself when it is a
 * file), minus ignored paths, with symlinks reported (not allowed) or followed (allowed: the
 * resource is named by the link, hashed from the target; cycles and links leaving the model are
 * warnings). Bounded by `maxFiles` and `maxDepth`.
 */
export async function listModel(root: string, options: ListOptions): Promise<ModelListing> {
  const abs = resolve(root);
  let st;
  try {
    st = await stat(abs);
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${root}: cannot read the model (${(err as Error).message})`, { cause: err });
  }
  const out: ModelListing = { singleFile: false, files: [], symlinks: [], special: [], warnings: [] };
  if (st.isFile()) {
    out.singleFile = true;
    out.files.push({ name: basename(abs), path: abs, size: st.size });
    return out;
  }
  if (!st.isDirectory()) throw new BulwarkError('UNSUPPORTED', `${root}: the model is neither a file nor a directory`);
  const rootReal = await realpath(abs);
  const ignore = options.ignorePaths;

  const walk = async (dir: string, rel: string, depth: number, ancestors: ReadonlySet<string>): Promise<void> => {
    checkAbort(options.signal, root);
    if (depth > options.limits.maxDepth) {
      throw new BulwarkError('LIMIT_EXCEEDED', `${root}: ${rel} is nested deeper than ${options.limits.maxDepth} directories (limit maxDepth)`);
    }
    const handle = await opendir(dir);
    for await (const ent of handle) {
      const name = rel === '' ? ent.name : `${rel}/${ent.name}`;
      if (isIgnored(name, ignore)) continue;
      const full = join(dir, ent.name);
      if (ent.isSymbolicLink()) {
        if (!options.allowSymlinks) {
          out.symlinks.push(name);
          continue;
        }
        let target: string;
        let tst;
        try {
          target = await realpath(full);
          tst = await stat(target);
        } catch (err) {
          out.warnings.push(`${name}: the symlink cannot be followed (${(err as Error).message}); skipped`);
          continue;
        }
        if (target !== rootReal && !target.startsWith(rootReal + sep)) out.warnings.push(`${name}: the symlink points outside the model (${target})`);
        if (tst.isDirectory()) {
          if (ancestors.has(target)) {
            out.warnings.push(`${name}: the symlink makes a cycle; not followed`);
            continue;
          }
          await walk(target, name, depth + 1, new Set([...ancestors, target]));
        } else if (tst.isFile()) {
          add(name, target, tst.size);
        } else out.special.push(name);
        continue;
      }
      if (ent.isDirectory()) {
        const real = options.allowSymlinks ? await realpath(full) : full;
        await walk(full, name, depth + 1, options.allowSymlinks ? new Set([...ancestors, real]) : ancestors);
      } else if (ent.isFile()) {
        const fst = await lstat(full);
        add(name, full, fst.size);
      } else out.special.push(name);
    }
  };
  const add = (name: string, path: string, size: number): void => {
    if (out.files.length >= options.limits.maxFiles) {
      throw new BulwarkError('LIMIT_EXCEEDED', `${root}: more than ${options.limits.maxFiles} files (limit maxFiles)`);
    }
    out.files.push({ name, path, size });
  };
  await walk(abs, '', 0, new Set([rootReal]));
  out.files.sort((a, b) => compareCodePoint(a.name, b.name));
  out.symlinks.sort(compareCodePoint);
  out.special.sort(compareCodePoint);
  return out;
}

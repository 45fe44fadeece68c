/**
 * Lockfile discovery and parsing: the facts the dependency audit and the ML-BOM share.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { BulwarkError, isBulwarkError } from '../../errors.js';
import type { LockfileFacts, LockfileKind } from '../types.js';
import { parseCondaEnvironment } from './conda.js';
import { parsePackageLock, parsePipfileLock } from './json-locks.js';
import { parseRequirementsFile } from './requirements.js';
import { parsePoetryLock, parseUvLock } from './toml-locks.js';

export { normalizePypiName, normalizeName, purlOf } from './common.js';
export { parseRequirementLine, MAX_INCLUDE_DEPTH, type RequirementLine } from './requirements.js';
export { CONDA_TO_PYPI, parseCondaSpec } from './conda.js';

/** Folders never searched for lockfiles: installed packages, VCS data, virtual environments, caches. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['node_modules', '.git', '.hg', '.svn', '.venv', 'venv', '.tox', '.nox', '__pycache__', 'site-packages', '.mypy_cache', '.pytest_cache']);

/** How deep {@link findLockfiles} descends, and how many directories it reads at most. */
export const DEFAULT_FIND_LIMITS = Object.freeze({ maxDepth: 8, maxDirs: 10_000 });

/**
 * The lockfile kind a file name denotes, or undefined. Requirement files are `requirements.txt`,
 * any `*requirements*.txt` (`dev-requirements.txt`, `requirements-gpu.txt`) and `*.txt` inside a
 * `requirements/` folder; conda files are `environment*.yml|yaml` and `conda*.yml|yaml`.
 */
export function lockfileKindOf(path: string): LockfileKind | undefined {
  const name = basename(path);
  const lower = name.toLowerCase();
  if (lower === 'poetry.lock') return 'poetry-lock';
  if (name === 'Pipfile.lock') return 'pipfile-lock';
  if (lower === 'uv.lock') return 'uv-lock';
  if (lower === 'package-lock.json' || lower === 'npm-shrinkwrap.json') return 'package-lock';
  if (/^(environment|conda)[\w.-]*\.ya?ml$/i.test(name)) return 'conda-environment';
  if (/requirements.*\.txt$/.test(lower)) return 'requirements';
  if (lower.endsWith('.txt') && basename(dirname(path)).toLowerCase() === 'requirements') return 'requirements';
  return undefined;
}

/**
 * Finds lockfiles and requirement files under `root` (or returns `[root]` when it is a single
 * file). Paths are absolute, sorted for deterministic reports; {@link SKIPPED_DIRS} are not entered.
 */
export async function findLockfiles(root: string): Promise<string[]> {
  const abs = resolve(root);
  let st;
  try {
    st = await stat(abs);
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${root}: no such file or directory`, { cause: err });
  }
  if (st.isFile()) return [abs];
  const found: string[] = [];
  let dirs = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (++dirs > DEFAULT_FIND_LIMITS.maxDirs) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && depth < DEFAULT_FIND_LIMITS.maxDepth) await walk(p, depth + 1);
      } else if (e.isFile() && lockfileKindOf(p) !== undefined) {
        found.push(p);
      }
    }
  };
  await walk(abs, 0);
  return found.sort();
}

function relPath(root: string, path: string): string {
  const r = relative(root, path).split(sep).join('/');
  return r === '' ? basename(path) : r;
}

/**
 * Parses one lockfile. `root` is the scanned root (a directory; for a single file, its folder):
 * file names in the facts are relative to it and requirement includes may not leave it.
 * A bad entry becomes a `problems` item (one per bad line or entry); an unparsable document is a
 * BulwarkError PARSE_ERROR naming the file; an unreadable one FILE_UNREADABLE.
 */
export async function parseLockfile(path: string, root: string): Promise<LockfileFacts> {
  const absRoot = resolve(root);
  const abs = resolve(absRoot, path);
  const kind = lockfileKindOf(abs);
  const file = relPath(absRoot, abs);
  if (kind === undefined) throw new BulwarkError('UNSUPPORTED', `${file}: not a lockfile Bulwark reads (requirements*.txt, poetry.lock, Pipfile.lock, uv.lock, environment.yml, package-lock.json)`);
  try {
    switch (kind) {
      case 'requirements': {
        const r = await parseRequirementsFile(abs, absRoot);
        return { kind, file, dependencies: r.dependencies, problems: r.problems, ...(r.includes.length > 0 ? { includes: r.includes } : {}) };
      }
      case 'poetry-lock':
        return { kind, file, ...(await parsePoetryLock(abs, file)) };
      case 'uv-lock':
        return { kind, file, ...(await parseUvLock(abs, file)) };
      case 'pipfile-lock':
        return { kind, file, ...(await parsePipfileLock(abs, file)) };
      case 'package-lock':
        return { kind, file, ...(await parsePackageLock(abs, file)) };
      case 'conda-environment': {
        const r = await parseCondaEnvironment(abs, file, absRoot);
        return { kind, file, dependencies: r.dependencies, problems: r.problems, ...(r.includes.length > 0 ? { includes: r.includes } : {}) };
      }
      default: {
        const never: never = kind;
        return never;
      }
    }
  } catch (err) {
    if (err instanceof BulwarkError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BulwarkError('FILE_NOT_FOUND', `${file}: no such file`, { cause: err });
    throw new BulwarkError('FILE_UNREADABLE', `${file}: cannot read (${(err as Error).message})`, { cause: err });
  }
}

/** A file {@link readDependencies} could not parse, with the error that stopped it. */
export interface LockfileFailure {
  readonly file: string;
  readonly error: BulwarkError;
}

/**
 * Finds and parses every lockfile under `root` (a directory or one file). A requirements file
 * already pulled in by another one's `-r` is not listed twice. Files that cannot be parsed are
 * left out; use {@link readDependenciesDetailed} to get them.
 */
export async function readDependencies(root: string): Promise<LockfileFacts[]> {
  return (await readDependenciesDetailed(root)).lockfiles;
}

/** Like {@link readDependencies}, also returning the files that failed and why (for report errors). */
export async function readDependenciesDetailed(root: string, signal?: AbortSignal): Promise<{ root: string; files: string[]; lockfiles: LockfileFacts[]; failures: LockfileFailure[] }> {
  const abs = resolve(root);
  const files = await findLockfiles(abs);
  const single = files.length === 1 && files[0] === abs;
  const base = single ? dirname(abs) : abs;
  const lockfiles: LockfileFacts[] = [];
  const failures: LockfileFailure[] = [];
  for (const f of files) {
    if (signal?.aborted === true) throw new BulwarkError('ABORTED', 'dependency audit aborted', { cause: signal.reason });
    try {
      lockfiles.push(await parseLockfile(f, base));
    } catch (err) {
      if (!isBulwarkError(err)) throw err;
      failures.push({ file: relPath(base, f), error: err });
    }
  }
  // A file another one includes is listed through its includer (unless they include each other).
  const covered = (l: LockfileFacts): boolean => lockfiles.some((m) => m !== l && (m.includes ?? []).includes(l.file) && !(l.includes ?? []).includes(m.file));
  return { root: base, files, lockfiles: lockfiles.filter((l) => !covered(l)), failures };
}

import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BulwarkError } from '../errors.js';
import type { Skipped } from '../report/types.js';

/** A file to scan: where it is, and the uri findings will name. */
export interface ScanTarget {
  path: string;
  uri: string;
}

/** Directory names never descended into: VCS metadata holds compressed copies, not models. */
export const IGNORED_DIRECTORIES: ReadonlySet<string> = new Set(['.git', '.hg', '.svn']);

function toUri(p: string): string {
  return p.split('\\').join('/');
}

/**
 * Expands the user's paths into files, depth first, in code-point order so that output is
 * deterministic. Symlinks to files are followed; symlinks to directories are not (no cycles),
 * and are listed as skipped. A path that does not exist is the user's mistake: FILE_NOT_FOUND.
 */
export async function collectFiles(paths: readonly string[], skipped: Skipped[]): Promise<ScanTarget[]> {
  const out: ScanTarget[] = [];
  const walk = async (p: string, top: boolean): Promise<void> => {
    let info;
    try {
      info = await lstat(p);
    } catch (err) {
      if (top) throw new BulwarkError('FILE_NOT_FOUND', `${p}: no such file or directory`, { cause: err });
      skipped.push({ uri: toUri(p), reason: 'vanished while scanning' });
      return;
    }
    if (info.isSymbolicLink()) {
      const target = await stat(p).catch(() => undefined);
      if (!target) {
        skipped.push({ uri: toUri(p), reason: 'broken symbolic link' });
        return;
      }
      if (target.isDirectory()) {
        skipped.push({ uri: toUri(p), reason: 'symbolic link to a directory (not followed)' });
        return;
      }
      info = target;
    }
    if (info.isDirectory()) {
      const names = (await readdir(p)).sort();
      for (const name of names) {
        if (IGNORED_DIRECTORIES.has(name)) continue;
        await walk(join(p, name), false);
      }
      return;
    }
    if (info.isFile()) {
      out.push({ path: p, uri: toUri(p) });
      return;
    }
    skipped.push({ uri: toUri(p), reason: 'not a regular file' });
  };
  for (const p of paths) await walk(p, true);
  return out;
}

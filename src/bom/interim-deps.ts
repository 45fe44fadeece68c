import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { DependencyFact, LockfileFacts } from '../deps/types.js';

/*
 * Interim lockfile reader for the BOM until the dependency audit's `readDependencies` (src/deps)
 * lands: top-level requirements.txt (name==version, --hash) and poetry.lock only. The dependency
 * audit's parsers replace it (includes, markers, extras, the other lockfile kinds).
 */

function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function fact(name: string, version: string | undefined, file: string, line: number | undefined, extra: Partial<DependencyFact>): DependencyFact {
  const n = normalise(name);
  return {
    ecosystem: 'PyPI',
    name,
    normalizedName: n,
    ...(version !== undefined ? { version, purl: `pkg:pypi/${n}@${version}` } : { purl: `pkg:pypi/${n}` }),
    source: line === undefined ? { file } : { file, line },
    ...extra,
  } as DependencyFact;
}

async function tryRead(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads `requirements.txt` and `poetry.lock` at the top of `root`. */
export async function readDependenciesInterim(root: string): Promise<LockfileFacts[]> {
  const out: LockfileFacts[] = [];
  const req = await tryRead(join(root, 'requirements.txt'));
  if (req !== undefined) {
    const deps: DependencyFact[] = [];
    const problems: { line: number; message: string }[] = [];
    const lines = req.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
    lines.forEach((raw, i) => {
      const line = raw.replace(/(^|\s)#.*$/, '').trim();
      if (!line || line.startsWith('-')) return;
      const hashes = [...line.matchAll(/--hash[=\s]+(\S+)/g)].map((m) => m[1]!);
      const spec = line.replace(/--hash[=\s]+\S+/g, '').split(';')[0]!.trim();
      const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$/.exec(spec);
      if (!m) {
        problems.push({ line: i + 1, message: `requirements.txt line ${i + 1}: not a requirement` });
        return;
      }
      const pin = /^===?\s*([^\s,*]+)$/.exec(m[3]!.trim());
      deps.push(fact(m[1]!, pin?.[1], 'requirements.txt', i + 1, { direct: true, scope: 'required', ...(hashes.length ? { hashes } : {}), ...(pin ? {} : m[3]!.trim() ? { specifier: m[3]!.trim() } : {}) }));
    });
    out.push({ kind: 'requirements', file: 'requirements.txt', dependencies: deps, problems });
  }
  const poetry = await tryRead(join(root, 'poetry.lock'));
  if (poetry !== undefined) {
    const deps: DependencyFact[] = [];
    const problems: { message: string }[] = [];
    try {
      const doc = parseToml(poetry) as { package?: { name?: unknown; version?: unknown; category?: unknown; optional?: unknown; files?: { hash?: unknown }[] }[] };
      for (const p of doc.package ?? []) {
        if (typeof p.name !== 'string' || typeof p.version !== 'string') continue;
        const hashes = (p.files ?? []).map((f) => f.hash).filter((h): h is string => typeof h === 'string');
        deps.push(fact(p.name, p.version, 'poetry.lock', undefined, { direct: false, scope: p.category === 'dev' ? 'dev' : p.optional === true ? 'optional' : 'required', ...(hashes.length ? { hashes } : {}) }));
      }
    } catch (err) {
      problems.push({ message: `poetry.lock: not valid TOML (${(err as Error).message.split('\n')[0] ?? ''})` });
    }
    out.push({ kind: 'poetry-lock', file: 'poetry.lock', dependencies: deps, problems });
  }
  return out;
}

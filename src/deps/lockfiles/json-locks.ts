/**
 * JSON lockfiles: Pipenv's `Pipfile.lock` (https://pipenv.pypa.io/en/latest/pipfile.html) and npm's
 * `package-lock.json` / `npm-shrinkwrap.json` (https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json):
 * lockfileVersion 2/3 `packages` map, with the v1 `dependencies` tree as the fallback.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { BulwarkError } from '../../errors.js';
import type { DependencyFact, DependencyReference } from '../types.js';
import { describeIssues, lineIndex, normalizePypiName, purlOf, type LineIndex, type LockfileProblem } from './common.js';
import type { ParsedBody } from './toml-locks.js';

/** Reads and parses a JSON document; an unparsable one is a PARSE_ERROR naming the file (and the position JSON.parse gives). */
export async function readJson(path: string, shown: string): Promise<{ doc: unknown; text: string }> {
  const text = await readFile(path, 'utf8');
  try {
    return { doc: JSON.parse(text) as unknown, text };
  } catch (err) {
    throw new BulwarkError('PARSE_ERROR', `${shown}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

const pipfileEntry = z.looseObject({
  version: z.string().optional(),
  hashes: z.array(z.string()).optional(),
  markers: z.string().optional(),
  extras: z.array(z.string()).optional(),
  git: z.string().optional(),
  ref: z.string().optional(),
  path: z.string().optional(),
  file: z.string().optional(),
  editable: z.boolean().optional(),
});
const pipfileLock = z.looseObject({
  default: z.record(z.string(), z.unknown()).optional(),
  develop: z.record(z.string(), z.unknown()).optional(),
});

/** Names declared in the Pipfile next to the lock (`[packages]`, `[dev-packages]`), PEP 503-normalised. */
async function pipfileNames(dir: string): Promise<Set<string> | undefined> {
  try {
    const doc = parseToml(await readFile(join(dir, 'Pipfile'), 'utf8')) as Record<string, unknown>;
    const names = new Set<string>();
    for (const t of [doc.packages, doc['dev-packages']]) {
      if (t !== null && typeof t === 'object') for (const n of Object.keys(t)) names.add(normalizePypiName(n));
    }
    return names;
  } catch {
    return undefined;
  }
}

/** Line of a JSON object key `"name": {` after `from`, best effort. */
function keyLine(idx: LineIndex, key: string, from = 0): number | undefined {
  return idx.lineOf(`${JSON.stringify(key)}:`, from);
}

/**
 * Parses Pipfile.lock: `default` (required) and `develop` (dev) sections. Versions are `==X`.
 * Direct dependencies come from the sibling Pipfile when there is one (the lock does not say).
 */
export async function parsePipfileLock(path: string, shown: string): Promise<ParsedBody> {
  const { doc, text } = await readJson(path, shown);
  const top = pipfileLock.safeParse(doc);
  if (!top.success) throw new BulwarkError('PARSE_ERROR', `${shown}: not a Pipfile.lock (${describeIssues(top.error.issues)})`);
  const idx = lineIndex(text);
  const declared = await pipfileNames(dirname(path));
  const dependencies: DependencyFact[] = [];
  const problems: LockfileProblem[] = [];
  for (const section of ['default', 'develop'] as const) {
    const entries = top.data[section] ?? {};
    const sectionAt = text.indexOf(`"${section}"`);
    for (const [name, raw] of Object.entries(entries)) {
      const line = keyLine(idx, name, Math.max(0, sectionAt));
      const at = line !== undefined ? { line } : {};
      const r = pipfileEntry.safeParse(raw);
      if (!r.success) {
        problems.push({ ...at, message: `${section}.${name}: ${describeIssues(r.error.issues)}` });
        continue;
      }
      const e = r.data;
      let version: string | undefined;
      let specifier: string | undefined;
      if (e.version !== undefined) {
        const m = /^===?\s*(\S+)$/.exec(e.version);
        if (m?.[1] !== undefined && !m[1].includes('*')) version = m[1];
        else specifier = e.version;
      }
      const reference: DependencyReference | undefined =
        e.git !== undefined
          ? { kind: 'vcs', value: `git+${e.git}${e.ref !== undefined ? `@${e.ref}` : ''}` }
          : e.path !== undefined
            ? { kind: e.editable === true ? 'editable' : 'path', value: e.path }
            : e.file !== undefined
              ? { kind: 'url', value: e.file }
              : undefined;
      if (version === undefined && specifier === undefined && reference === undefined) specifier = '*';
      const normalizedName = normalizePypiName(name);
      dependencies.push({
        ecosystem: 'PyPI',
        name,
        normalizedName,
        ...(version !== undefined ? { version } : {}),
        ...(specifier !== undefined ? { specifier } : {}),
        purl: purlOf('PyPI', name, version),
        source: { file: shown, ...at },
        direct: declared?.has(normalizedName) ?? false,
        scope: section === 'develop' ? 'dev' : 'required',
        ...(e.hashes !== undefined && e.hashes.length > 0 ? { hashes: e.hashes } : {}),
        ...(e.markers !== undefined ? { marker: e.markers } : {}),
        ...(e.extras !== undefined && e.extras.length > 0 ? { extras: e.extras } : {}),
        ...(reference !== undefined ? { reference } : {}),
      });
    }
  }
  return { dependencies, problems };
}

const npmPackage = z.looseObject({
  name: z.string().optional(),
  version: z.string().optional(),
  resolved: z.string().optional(),
  integrity: z.string().optional(),
  link: z.boolean().optional(),
  dev: z.boolean().optional(),
  optional: z.boolean().optional(),
  devOptional: z.boolean().optional(),
  dependencies: z.record(z.string(), z.unknown()).optional(),
  devDependencies: z.record(z.string(), z.string()).optional(),
  optionalDependencies: z.record(z.string(), z.string()).optional(),
  peerDependencies: z.record(z.string(), z.string()).optional(),
});
const packageLock = z.looseObject({
  lockfileVersion: z.number().int().optional(),
  packages: z.record(z.string(), z.unknown()).optional(),
  dependencies: z.record(z.string(), z.unknown()).optional(),
});

/** Converts an SRI integrity string (`sha512-<base64>`) to `sha512:<hex>`, the form the facts use. */
function integrityHashes(integrity: string | undefined): string[] {
  if (integrity === undefined) return [];
  return integrity
    .split(/\s+/)
    .map((sri) => /^(sha\d+)-([A-Za-z0-9+/=]+)$/.exec(sri))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1] ?? ''}:${Buffer.from(m[2] ?? '', 'base64').toString('hex')}`);
}

/** A `resolved`/`version` value that is not a registry tarball: git, a local file or a link. */
function npmReference(value: string | undefined): DependencyReference | undefined {
  if (value === undefined) return undefined;
  if (/^(git\+|git:|github:|gitlab:|bitbucket:)/.test(value)) return { kind: 'vcs', value };
  if (value.startsWith('file:')) return { kind: 'path', value };
  return undefined;
}

/** The package name at a `packages` key: the part after the last `node_modules/`. */
function nameFromPath(key: string): string {
  const i = key.lastIndexOf('node_modules/');
  return i === -1 ? key : key.slice(i + 'node_modules/'.length);
}

/**
 * Parses package-lock.json. v2/v3: the `packages` map (the `""` root declares the direct
 * dependencies; linked workspace entries are skipped). v1: the nested `dependencies` tree, whose
 * top level is what the project declared. npm names are kept as written.
 */
export async function parsePackageLock(path: string, shown: string): Promise<ParsedBody> {
  const { doc, text } = await readJson(path, shown);
  const top = packageLock.safeParse(doc);
  if (!top.success) throw new BulwarkError('PARSE_ERROR', `${shown}: not a package-lock.json (${describeIssues(top.error.issues)})`);
  const idx = lineIndex(text);
  const dependencies: DependencyFact[] = [];
  const problems: LockfileProblem[] = [];
  const push = (name: string, e: z.infer<typeof npmPackage>, line: number | undefined, direct: boolean): void => {
    const ref = npmReference(e.resolved) ?? npmReference(e.version);
    const version = e.version !== undefined && ref === undefined ? e.version : undefined;
    const hashes = integrityHashes(e.integrity);
    dependencies.push({
      ecosystem: 'npm',
      name,
      normalizedName: name,
      ...(version !== undefined ? { version } : {}),
      purl: purlOf('npm', name, version),
      source: { file: shown, ...(line !== undefined ? { line } : {}) },
      direct,
      scope: e.dev === true ? 'dev' : e.optional === true || e.devOptional === true ? 'optional' : 'required',
      ...(hashes.length > 0 ? { hashes } : {}),
      ...(ref !== undefined ? { reference: ref } : {}),
    });
  };
  if (top.data.packages !== undefined) {
    const root = npmPackage.safeParse(top.data.packages[''] ?? {});
    const declared = new Set<string>();
    if (root.success) {
      for (const t of [root.data.dependencies, root.data.devDependencies, root.data.optionalDependencies, root.data.peerDependencies]) {
        for (const n of Object.keys(t ?? {})) declared.add(n);
      }
    }
    // Keys appear in file order, so each search starts where the previous one matched (linear, not quadratic).
    let cursor = 0;
    for (const [key, raw] of Object.entries(top.data.packages)) {
      if (key === '' || !key.includes('node_modules/')) continue; // the root and workspace folders are the project itself
      const needle = `${JSON.stringify(key)}:`;
      let at = text.indexOf(needle, cursor);
      if (at === -1) at = text.indexOf(needle);
      if (at !== -1) cursor = at;
      const line = at === -1 ? undefined : idx.lineAt(at);
      const r = npmPackage.safeParse(raw);
      if (!r.success) {
        problems.push({ ...(line !== undefined ? { line } : {}), message: `packages["${key}"]: ${describeIssues(r.error.issues)}` });
        continue;
      }
      if (r.data.link === true) continue;
      const name = r.data.name ?? nameFromPath(key);
      if (r.data.version === undefined) {
        problems.push({ ...(line !== undefined ? { line } : {}), message: `packages["${key}"].version: missing` });
      }
      push(name, r.data, line, key === `node_modules/${name}` && declared.has(name));
    }
    return { dependencies, problems };
  }
  // lockfileVersion 1: dependencies: { name: { version, dev, optional, dependencies: {...} } }
  const walk = (deps: Record<string, unknown>, depth: number, at: number): void => {
    if (depth > 64) {
      problems.push({ message: 'dependencies nest deeper than 64 levels; not followed' });
      return;
    }
    for (const [name, raw] of Object.entries(deps)) {
      const keyAt = text.indexOf(`${JSON.stringify(name)}:`, at);
      const line = keyAt === -1 ? undefined : idx.lineAt(keyAt);
      const r = npmPackage.safeParse(raw);
      if (!r.success) {
        problems.push({ ...(line !== undefined ? { line } : {}), message: `dependencies["${name}"]: ${describeIssues(r.error.issues)}` });
        continue;
      }
      push(name, r.data, line, depth === 0);
      const nested = r.data.dependencies;
      if (nested !== undefined) walk(nested, depth + 1, Math.max(0, keyAt));
    }
  };
  walk(top.data.dependencies ?? {}, 0, 0);
  return { dependencies, problems };
}

/**
 * TOML lockfiles: Poetry's `poetry.lock` (https://python-poetry.org/docs/basic-usage/#committing-your-poetrylock-file-to-version-control)
 * and uv's `uv.lock` (https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile), read with
 * smol-toml and validated per package entry with zod.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { BulwarkError } from '../../errors.js';
import type { DependencyFact, DependencyReference } from '../types.js';
import { describeIssues, normalizePypiName, purlOf, type LockfileProblem } from './common.js';
import { parseRequirementLine } from './requirements.js';

/** Parsed lockfile body before it gets its kind and file name. */
export interface ParsedBody {
  dependencies: DependencyFact[];
  problems: LockfileProblem[];
}

/** Reads and parses a TOML document; an unparsable one is a PARSE_ERROR naming the file and line. */
export async function readToml(path: string, shown: string): Promise<{ doc: Record<string, unknown>; text: string }> {
  const text = await readFile(path, 'utf8');
  try {
    return { doc: parseToml(text), text };
  } catch (err) {
    const e = err as { line?: number; message: string };
    throw new BulwarkError('PARSE_ERROR', `${shown}${e.line !== undefined ? `:${e.line}` : ''}: not valid TOML (${e.message.split('\n')[0] ?? ''})`, { cause: err });
  }
}

/** Line numbers of each `[[package]]` header, in order: smol-toml keeps no positions. */
function packageHeaderLines(text: string): number[] {
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    if (/^\s*\[\[package\]\]\s*$/.test(l)) lines.push(i + 1);
  });
  return lines;
}

const pyprojectSchema = z.looseObject({
  project: z.looseObject({
    dependencies: z.array(z.string()).optional(),
    'optional-dependencies': z.record(z.string(), z.array(z.string())).optional(),
  }).optional(),
  'dependency-groups': z.record(z.string(), z.array(z.unknown())).optional(),
  tool: z.looseObject({
    poetry: z.looseObject({
      dependencies: z.record(z.string(), z.unknown()).optional(),
      'dev-dependencies': z.record(z.string(), z.unknown()).optional(),
      group: z.record(z.string(), z.looseObject({ dependencies: z.record(z.string(), z.unknown()).optional() })).optional(),
    }).optional(),
  }).optional(),
});

/**
 * Direct dependency names (PEP 503) declared by the `pyproject.toml` next to a lockfile: PEP 621
 * `[project]` dependencies and optional dependencies, PEP 735 dependency groups, and Poetry's
 * `[tool.poetry]` tables. Undefined when there is no readable pyproject.toml.
 */
export async function declaredPythonNames(dir: string): Promise<Set<string> | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'pyproject.toml'), 'utf8');
  } catch {
    return undefined;
  }
  let parsed: z.infer<typeof pyprojectSchema>;
  try {
    const r = pyprojectSchema.safeParse(parseToml(text));
    if (!r.success) return undefined;
    parsed = r.data;
  } catch {
    return undefined;
  }
  const names = new Set<string>();
  const addSpec = (spec: unknown): void => {
    if (typeof spec !== 'string') return;
    const line = parseRequirementLine(spec);
    if (line.kind === 'requirement') names.add(line.fact.normalizedName);
  };
  parsed.project?.dependencies?.forEach(addSpec);
  Object.values(parsed.project?.['optional-dependencies'] ?? {}).forEach((l) => l.forEach(addSpec));
  Object.values(parsed['dependency-groups'] ?? {}).forEach((l) => l.forEach(addSpec));
  const poetry = parsed.tool?.poetry;
  const tables = [poetry?.dependencies, poetry?.['dev-dependencies'], ...Object.values(poetry?.group ?? {}).map((g) => g.dependencies)];
  for (const t of tables) for (const n of Object.keys(t ?? {})) if (n !== 'python') names.add(normalizePypiName(n));
  return names;
}

const poetrySource = z.looseObject({ type: z.string(), url: z.string().optional(), reference: z.string().optional() });
const poetryPackage = z.looseObject({
  name: z.string().min(1),
  version: z.string().min(1),
  optional: z.boolean().optional(),
  category: z.string().optional(),
  groups: z.array(z.string()).optional(),
  files: z.array(z.looseObject({ file: z.string().optional(), hash: z.string() })).optional(),
  source: poetrySource.optional(),
});

function poetryReference(source: z.infer<typeof poetrySource> | undefined): DependencyReference | undefined {
  if (source === undefined || source.type === 'legacy') return undefined;
  const value = source.url ?? '';
  switch (source.type) {
    case 'git':
      return { kind: 'vcs', value: `git+${value}${source.reference !== undefined ? `@${source.reference}` : ''}` };
    case 'url':
      return { kind: 'url', value };
    default:
      return { kind: 'path', value };
  }
}

/** Parses poetry.lock: every `[[package]]` is a locked dependency; direct ones come from pyproject.toml when present. */
export async function parsePoetryLock(path: string, shown: string): Promise<ParsedBody> {
  const { doc, text } = await readToml(path, shown);
  const packages = doc.package;
  const problems: LockfileProblem[] = [];
  if (packages !== undefined && !Array.isArray(packages)) throw new BulwarkError('PARSE_ERROR', `${shown}: 'package' must be an array of tables`);
  const declared = await declaredPythonNames(dirname(path));
  const lines = packageHeaderLines(text);
  const dependencies: DependencyFact[] = [];
  (packages ?? []).forEach((raw: unknown, i: number) => {
    const line = lines[i];
    const r = poetryPackage.safeParse(raw);
    if (!r.success) {
      problems.push({ ...(line !== undefined ? { line } : {}), message: `package[${i}]: ${describeIssues(r.error.issues)}` });
      return;
    }
    const p = r.data;
    const normalizedName = normalizePypiName(p.name);
    const dev = p.category === 'dev' || (p.groups !== undefined && p.groups.length > 0 && !p.groups.includes('main'));
    const hashes = (p.files ?? []).map((f) => f.hash);
    const reference = poetryReference(p.source);
    dependencies.push({
      ecosystem: 'PyPI',
      name: p.name,
      normalizedName,
      version: p.version,
      purl: purlOf('PyPI', p.name, p.version),
      source: { file: shown, ...(line !== undefined ? { line } : {}) },
      direct: declared?.has(normalizedName) ?? false,
      scope: dev ? 'dev' : p.optional === true ? 'optional' : 'required',
      ...(hashes.length > 0 ? { hashes } : {}),
      ...(reference !== undefined ? { reference } : {}),
    });
  });
  return { dependencies, problems };
}

const uvDep = z.looseObject({ name: z.string() });
const uvPackage = z.looseObject({
  name: z.string().min(1),
  version: z.string().optional(),
  source: z.record(z.string(), z.unknown()).optional(),
  dependencies: z.array(uvDep).optional(),
  'optional-dependencies': z.record(z.string(), z.array(uvDep)).optional(),
  'dev-dependencies': z.record(z.string(), z.array(uvDep)).optional(),
  sdist: z.looseObject({ hash: z.string().optional() }).optional(),
  wheels: z.array(z.looseObject({ hash: z.string().optional() })).optional(),
});

function uvReference(source: Record<string, unknown> | undefined): DependencyReference | 'root' | undefined {
  if (source === undefined) return undefined;
  if (typeof source.registry === 'string') return undefined;
  if (typeof source.editable === 'string' || typeof source.virtual === 'string') {
    return source.editable === '.' || source.virtual === '.' ? 'root' : { kind: typeof source.editable === 'string' ? 'editable' : 'path', value: String(source.editable ?? source.virtual) };
  }
  if (typeof source.git === 'string') return { kind: 'vcs', value: `git+${source.git}` };
  if (typeof source.url === 'string') return { kind: 'url', value: source.url };
  if (typeof source.path === 'string' || typeof source.directory === 'string') return { kind: 'path', value: String(source.path ?? source.directory) };
  return undefined;
}

/**
 * Parses uv.lock. The project itself (`source = { editable = "." }` or `{ virtual = "." }`) is
 * not a dependency; the packages it lists (dependencies, optional and dev groups) are the direct ones.
 */
export async function parseUvLock(path: string, shown: string): Promise<ParsedBody> {
  const { doc, text } = await readToml(path, shown);
  const packages = doc.package;
  if (packages !== undefined && !Array.isArray(packages)) throw new BulwarkError('PARSE_ERROR', `${shown}: 'package' must be an array of tables`);
  const lines = packageHeaderLines(text);
  const problems: LockfileProblem[] = [];
  const entries: { p: z.infer<typeof uvPackage>; line: number | undefined; ref: DependencyReference | undefined }[] = [];
  const direct = new Set<string>();
  const devOnly = new Set<string>();
  const required = new Set<string>();
  (packages ?? []).forEach((raw: unknown, i: number) => {
    const line = lines[i];
    const r = uvPackage.safeParse(raw);
    if (!r.success) {
      problems.push({ ...(line !== undefined ? { line } : {}), message: `package[${i}]: ${describeIssues(r.error.issues)}` });
      return;
    }
    const ref = uvReference(r.data.source);
    if (ref === 'root') {
      for (const d of r.data.dependencies ?? []) {
        direct.add(normalizePypiName(d.name));
        required.add(normalizePypiName(d.name));
      }
      for (const l of Object.values(r.data['optional-dependencies'] ?? {})) for (const d of l) direct.add(normalizePypiName(d.name));
      for (const l of Object.values(r.data['dev-dependencies'] ?? {})) for (const d of l) {
        direct.add(normalizePypiName(d.name));
        devOnly.add(normalizePypiName(d.name));
      }
      return;
    }
    entries.push({ p: r.data, line, ref });
  });
  const dependencies = entries.map(({ p, line, ref }): DependencyFact => {
    const normalizedName = normalizePypiName(p.name);
    const hashes = [p.sdist?.hash, ...(p.wheels ?? []).map((w) => w.hash)].filter((h): h is string => h !== undefined);
    if (p.version === undefined && ref === undefined) problems.push({ ...(line !== undefined ? { line } : {}), message: `package ${p.name}: no version` });
    return {
      ecosystem: 'PyPI',
      name: p.name,
      normalizedName,
      ...(p.version !== undefined ? { version: p.version } : {}),
      purl: purlOf('PyPI', p.name, p.version),
      source: { file: shown, ...(line !== undefined ? { line } : {}) },
      direct: direct.has(normalizedName),
      ...(direct.has(normalizedName) ? { scope: devOnly.has(normalizedName) && !required.has(normalizedName) ? 'dev' : 'required' } : {}),
      ...(hashes.length > 0 ? { hashes } : {}),
      ...(ref !== undefined ? { reference: ref } : {}),
    };
  });
  return { dependencies, problems };
}

/**
 * pip requirements files (https://pip.pypa.io/en/stable/reference/requirements-file-format/):
 * one PEP 508 requirement per line, `\` line continuations, `#` comments, `-r`/`--requirement`
 * and `-c`/`--constraint` includes resolved relative to the including file, per-requirement
 * `--hash=` options, editable installs and direct references. Nothing in the file is ever run:
 * markers are kept verbatim and never evaluated.
 */
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import type { DependencyFact, DependencyReference } from '../types.js';
import { normalizePypiName, purlOf, type LockfileProblem } from './common.js';

/** How deep `-r` includes may nest before the parser stops following them. */
export const MAX_INCLUDE_DEPTH = 10;

/** Largest requirements file read (bytes): requirement files are small; a huge one is a mistake or an attack. */
export const MAX_REQUIREMENTS_BYTES = 8 * 1024 * 1024;

/** PEP 508 name: letters/digits, inner `-_.` (https://peps.python.org/pep-0508/#names). */
const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*/;
/** One version clause of a PEP 440 specifier (https://peps.python.org/pep-0440/#version-specifiers). */
const CLAUSE = /^(~=|===|==|!=|<=|>=|<|>)\s*([A-Za-z0-9.*+!_-]+)$/;
const HASH = /--hash[=\s]+([A-Za-z0-9]+:[A-Fa-f0-9]+)/g;
const VCS = /^(git|hg|svn|bzr)\+/;

/** One logical line: continuation-joined, comment-stripped, with the line where it began. */
interface LogicalLine {
  readonly text: string;
  readonly line: number;
}

/** Joins `\` continuations and strips comments (pip: `#` at line start or after whitespace). */
function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const raw = text.split(/\r?\n/);
  let buf = '';
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    let l = raw[i] ?? '';
    if (buf === '') start = i + 1;
    l = l.replace(/(^|\s)#.*$/, '$1');
    if (l.endsWith('\\')) {
      buf += `${l.slice(0, -1)} `;
      continue;
    }
    buf += l;
    const t = buf.trim();
    if (t !== '') out.push({ text: t, line: start });
    buf = '';
  }
  if (buf.trim() !== '') out.push({ text: buf.trim(), line: start });
  return out;
}

/** What one requirement line says (before it is placed in a file). */
export type RequirementLine =
  | { readonly kind: 'requirement'; readonly fact: Omit<DependencyFact, 'source' | 'direct'> }
  | { readonly kind: 'include'; readonly constraint: boolean; readonly path: string }
  | { readonly kind: 'option' }
  | { readonly kind: 'problem'; readonly message: string };

/** Name and version from a wheel or sdist file name at the end of a URL or path, when it has one. */
function nameFromArtifact(ref: string): { name: string; version?: string } | undefined {
  const egg = /[#&]egg=([A-Za-z0-9._-]+)/.exec(ref);
  if (egg?.[1] !== undefined) return { name: egg[1] };
  const file = ref.split(/[?#]/)[0]?.split('/').pop() ?? '';
  // Wheel: {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl (PEP 427); names use `_`.
  const whl = /^([A-Za-z0-9_.]+)-([^-]+)-.*\.whl$/.exec(file);
  if (whl?.[1] !== undefined && whl[2] !== undefined) return { name: whl[1], version: whl[2] };
  const sdist = /^([A-Za-z0-9_.-]+?)-(\d[^-]*)\.(?:tar\.gz|zip|tar\.bz2)$/.exec(file);
  if (sdist?.[1] !== undefined && sdist[2] !== undefined) return { name: sdist[1], version: sdist[2] };
  return undefined;
}

function referenceKind(ref: string, editable: boolean): DependencyReference['kind'] {
  if (editable) return 'editable';
  if (VCS.test(ref)) return 'vcs';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) return ref.startsWith('file:') ? 'path' : 'url';
  return 'path';
}

function referenceFact(ref: string, editable: boolean, named?: { name: string; extras?: string[]; marker?: string }): RequirementLine {
  // A reference without a readable name (`-e .`, `./vendor/lib`) is named by the reference itself:
  // it is still a dependency that bypasses the index (BW-DEP-002), just one without a package name.
  const found = named ?? nameFromArtifact(ref) ?? { name: ref };
  const version = 'version' in found && typeof found.version === 'string' ? found.version : undefined;
  const kind = referenceKind(ref, editable);
  return {
    kind: 'requirement',
    fact: {
      ecosystem: 'PyPI',
      name: found.name,
      normalizedName: found.name === ref ? ref : normalizePypiName(found.name),
      ...(version !== undefined ? { version } : {}),
      ...(found.name === ref ? {} : { purl: purlOf('PyPI', found.name, version) }),
      reference: { kind, value: ref },
      ...(named?.marker !== undefined ? { marker: named.marker } : {}),
      ...(named?.extras !== undefined && named.extras.length > 0 ? { extras: named.extras } : {}),
    },
  };
}

/** Options pip accepts in a requirements file that do not name a requirement (ignored here). */
const GLOBAL_OPTIONS = /^(-i|--index-url|--extra-index-url|--no-index|-f|--find-links|--pre|--trusted-host|--prefer-binary|--require-hashes|--only-binary|--no-binary|--use-feature|--config-settings|--global-option)\b/;

/**
 * Parses one logical requirement line (also used for a conda environment's `pip:` entries).
 * Exact pins are `==V` (without a `.*` wildcard) or `===V`; everything else is unpinned.
 */
export function parseRequirementLine(text: string): RequirementLine {
  const inc = /^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)$/.exec(text) ?? /^(-r|-c)(\S+)$/.exec(text);
  if (inc?.[1] !== undefined && inc[2] !== undefined) return { kind: 'include', constraint: inc[1] === '-c' || inc[1] === '--constraint', path: inc[2] };
  const ed = /^(-e|--editable)(?:\s*=\s*|\s+)(\S+)$/.exec(text);
  if (ed?.[2] !== undefined) return referenceFact(ed[2], true);
  if (GLOBAL_OPTIONS.test(text)) return { kind: 'option' };
  if (text.startsWith('-')) return { kind: 'problem', message: `unknown option '${text.split(/\s/)[0] ?? text}'` };

  const hashes = [...text.matchAll(HASH)].map((m) => m[1] ?? '').filter((h) => h !== '');
  let rest = text.replace(HASH, '').replace(/\s--[a-z-]+(=\S+)?/g, '').trim();

  // A bare URL or path (no `name @`): pip's direct reference forms.
  const namedRef = /^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@/.test(rest);
  if (!namedRef && (VCS.test(rest) || /^[a-z][a-z0-9+.-]*:\/\//i.test(rest) || /^(\.{1,2}\/|\/)/.test(rest) || /\.(whl|tar\.gz|zip)$/.test(rest.split(/\s*;/)[0] ?? ''))) {
    const [ref, marker] = rest.split(/\s*;\s*/, 2);
    return referenceFact(ref ?? rest, false, marker !== undefined ? nameWithMarker(ref ?? rest, marker) : undefined);
  }

  const m = NAME.exec(rest);
  if (m?.[1] === undefined) return { kind: 'problem', message: `not a requirement: '${text}'` };
  const name = m[1];
  const extras = (m[2] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  rest = rest.slice(m[0].length);
  let marker: string | undefined;
  const semi = rest.indexOf(';');
  if (semi !== -1) {
    marker = rest.slice(semi + 1).trim();
    rest = rest.slice(0, semi).trim();
  }
  if (rest.startsWith('@')) {
    return referenceFact(rest.slice(1).trim(), false, { name, extras, ...(marker !== undefined ? { marker } : {}) });
  }
  if (rest.startsWith('(') && rest.endsWith(')')) rest = rest.slice(1, -1).trim();
  const clauses = rest === '' ? [] : rest.split(',').map((c) => c.trim());
  for (const c of clauses) {
    if (!CLAUSE.test(c)) return { kind: 'problem', message: `invalid version specifier '${c}' for ${name}` };
  }
  const only = clauses.length === 1 ? CLAUSE.exec(clauses[0] ?? '') : null;
  const pinned = only !== null && (only[1] === '===' || (only[1] === '==' && !(only[2] ?? '').includes('*'))) ? only[2] : undefined;
  const fact: Omit<DependencyFact, 'source' | 'direct'> = {
    ecosystem: 'PyPI',
    name,
    normalizedName: normalizePypiName(name),
    ...(pinned !== undefined ? { version: pinned } : { specifier: clauses.join(',') }),
    purl: purlOf('PyPI', name, pinned),
    ...(hashes.length > 0 ? { hashes } : {}),
    ...(marker !== undefined ? { marker } : {}),
    ...(extras.length > 0 ? { extras } : {}),
  };
  return { kind: 'requirement', fact };
}

function nameWithMarker(ref: string, marker: string): { name: string; marker: string } | undefined {
  const found = nameFromArtifact(ref);
  return found === undefined ? undefined : { name: found.name, marker };
}

/** Result of reading a requirements file and everything it includes. */
export interface RequirementsResult {
  dependencies: DependencyFact[];
  problems: LockfileProblem[];
  /** Included files, relative to the root. */
  includes: string[];
}

function rel(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/**
 * Reads `path` and its `-r`/`-c` includes. Includes resolve relative to the including file, must
 * stay inside `root` (a requirements file must not make Bulwark read arbitrary files), are read
 * once each (cycles end there) and nest at most {@link MAX_INCLUDE_DEPTH} deep. Constraint files
 * add no dependency of their own; a constraint `==` pin fills in the version of an unpinned
 * requirement of the same name (that is what pip installs).
 */
export async function parseRequirementsFile(path: string, root: string, read: (p: string) => Promise<string> = readText): Promise<RequirementsResult> {
  const result: RequirementsResult = { dependencies: [], problems: [], includes: [] };
  const constraints = new Map<string, string>();
  const seen = new Set<string>();
  const top = resolve(path);
  const visit = async (file: string, depth: number, constraint: boolean, problemFile: string, problemLine: number | undefined): Promise<void> => {
    const at = (line: number | undefined): { line?: number } => (line !== undefined ? { line } : {});
    const shown = rel(root, file);
    let text: string;
    try {
      text = await read(file);
    } catch (err) {
      if (file === top) throw err;
      result.problems.push({ ...at(problemLine), message: `${problemFile}: cannot read included file ${shown} (${(err as Error).message})` });
      return;
    }
    for (const { text: lineText, line } of logicalLines(text)) {
      const parsed = parseRequirementLine(lineText);
      switch (parsed.kind) {
        case 'option':
          break;
        case 'problem':
          result.problems.push(file === top ? { line, message: parsed.message } : { line, message: `${shown}:${line}: ${parsed.message}` });
          break;
        case 'include': {
          const target = resolve(dirname(file), parsed.path);
          const where = file === top ? '' : `${shown}:${line}: `;
          if (/^[a-z][a-z0-9+.-]*:\/\//i.test(parsed.path)) {
            result.problems.push({ line, message: `${where}remote include '${parsed.path}' not followed (offline)` });
          } else if (rel(root, target).startsWith('../') || target === root) {
            result.problems.push({ line, message: `${where}include '${parsed.path}' is outside the scanned root; not followed` });
          } else if (seen.has(target)) {
            // Already read (an include cycle or a diamond): its requirements are listed once.
          } else if (depth + 1 > MAX_INCLUDE_DEPTH) {
            result.problems.push({ line, message: `${where}include '${parsed.path}' nests deeper than ${MAX_INCLUDE_DEPTH}; not followed` });
          } else {
            seen.add(target);
            result.includes.push(rel(root, target));
            await visit(target, depth + 1, constraint || parsed.constraint, shown, line);
          }
          break;
        }
        case 'requirement':
          if (constraint) {
            if (parsed.fact.version !== undefined) constraints.set(parsed.fact.normalizedName, parsed.fact.version);
          } else {
            result.dependencies.push({ ...parsed.fact, source: { file: shown, line }, direct: true });
          }
          break;
        default: {
          const never: never = parsed;
          return never;
        }
      }
    }
  };
  seen.add(top);
  await visit(top, 0, false, rel(root, top), undefined);
  if (constraints.size > 0) {
    result.dependencies = result.dependencies.map((d) => {
      const pin = constraints.get(d.normalizedName);
      return d.version === undefined && d.reference === undefined && pin !== undefined ? { ...d, version: pin, purl: purlOf('PyPI', d.name, pin) } : d;
    });
  }
  return result;
}

async function readText(p: string): Promise<string> {
  const buf = await readFile(p);
  if (buf.length > MAX_REQUIREMENTS_BYTES) throw new Error(`larger than ${MAX_REQUIREMENTS_BYTES} bytes`);
  return buf.toString('utf8');
}

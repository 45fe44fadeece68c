/**
 * Helpers every lockfile parser shares: name normalisation, package URLs, line lookup and the
 * problem list.
 */
import type { Ecosystem } from '../types.js';

/** A problem found while parsing: the 1-based line when known and what was wrong. */
export interface LockfileProblem {
  readonly line?: number;
  readonly message: string;
}

/**
 * PEP 503 name normalisation (https://peps.python.org/pep-0503/#normalized-names): lower case,
 * every run of `-`, `_` and `.` becomes one `-`. `Scikit_Learn` and `scikit-learn` are the same
 * project on PyPI, so they must be the same key when matching advisories.
 */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The matching key of a name in its ecosystem: PEP 503 for PyPI, as-is for npm (npm names are case-sensitive only in legacy packages). */
export function normalizeName(ecosystem: Ecosystem, name: string): string {
  switch (ecosystem) {
    case 'PyPI':
      return normalizePypiName(name);
    case 'npm':
      return name;
    default: {
      const never: never = ecosystem;
      return never;
    }
  }
}

/**
 * A package URL (https://github.com/package-url/purl-spec): `pkg:pypi/<pep503 name>@<version>`
 * (the PyPI type's rule: lower case, `_` as `-`) and `pkg:npm/%40scope/name@<version>` (the `@`
 * of a scope is percent-encoded). Versions are percent-encoded, so `2.5.1+cu121` -> `2.5.1%2Bcu121`.
 */
export function purlOf(ecosystem: Ecosystem, name: string, version: string | undefined): string {
  const at = version === undefined ? '' : `@${encodeURIComponent(version)}`;
  switch (ecosystem) {
    case 'PyPI':
      return `pkg:pypi/${encodeURIComponent(normalizePypiName(name))}${at}`;
    case 'npm': {
      const slash = name.startsWith('@') ? name.indexOf('/') : -1;
      if (slash > 0) return `pkg:npm/${encodeURIComponent(name.slice(0, slash))}/${encodeURIComponent(name.slice(slash + 1))}${at}`;
      return `pkg:npm/${encodeURIComponent(name)}${at}`;
    }
    default: {
      const never: never = ecosystem;
      return never;
    }
  }
}

/** Maps string offsets to 1-based line numbers (binary search over line starts). */
export interface LineIndex {
  lineAt(offset: number): number;
  /** The line of the first occurrence of `needle` at or after `from`, or undefined. */
  lineOf(needle: string, from?: number): number | undefined;
}

/** Builds a {@link LineIndex} over `text`. */
export function lineIndex(text: string): LineIndex {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const lineAt = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  return {
    lineAt,
    lineOf(needle, from = 0) {
      const at = text.indexOf(needle, from);
      return at === -1 ? undefined : lineAt(at);
    },
  };
}

/** Formats zod issues as `field.path: message` (the first few), for a problem or error message. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

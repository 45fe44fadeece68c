/**
 * Facts read from lockfiles and requirement files: shared by the dependency audit (src/deps) and
 * the ML-BOM (src/bom), so both name the same packages the same way.
 */

/** OSV ecosystems Bulwark reads lockfiles for. */
export type Ecosystem = 'PyPI' | 'npm';

/** Lockfile and requirement formats. */
export type LockfileKind = 'requirements' | 'poetry-lock' | 'pipfile-lock' | 'uv-lock' | 'conda-environment' | 'package-lock';

/** One dependency as declared or locked. */
export interface DependencyFact {
  readonly ecosystem: Ecosystem;
  /** The name as written in the file. */
  readonly name: string;
  /** The name normalised for matching (PEP 503 for PyPI: lower case, runs of `-_.` as `-`). */
  readonly normalizedName: string;
  /** The exact version when pinned (`==1.2.3`, a lockfile entry); undefined when not pinned. */
  readonly version?: string;
  /** The specifier as written when not an exact pin (e.g. `>=2.0,<3`), for unpinned findings. */
  readonly specifier?: string;
  /** Package URL, e.g. `pkg:pypi/torch@2.5.1` (https://github.com/package-url/purl-spec). */
  readonly purl?: string;
  /** Where it was declared: the file (relative to the scanned root) and 1-based line when known. */
  readonly source: { readonly file: string; readonly line?: number };
  /** Direct dependency (declared) or transitive (only in a lockfile's resolution). */
  readonly direct: boolean;
  /** Dev-only / optional group, when the lockfile says so. */
  readonly scope?: 'required' | 'optional' | 'dev';
  /** Integrity hashes given in the file (`sha256:...`), for the BOM. */
  readonly hashes?: readonly string[];
  /** PEP 508 environment marker, kept verbatim (never evaluated as code). */
  readonly marker?: string;
  readonly extras?: readonly string[];
  /**
   * Set when the dependency does not come from a package index by name and version: a VCS
   * checkout, a direct URL (archive or wheel), a local path or an editable install. Such a
   * dependency cannot be audited by version alone (BW-DEP-002).
   */
  readonly reference?: DependencyReference;
}

/** A dependency taken from somewhere other than a package index. */
export interface DependencyReference {
  readonly kind: 'vcs' | 'url' | 'path' | 'editable';
  /** The reference as written (URL, path), kept verbatim. */
  readonly value: string;
}

/** One parsed lockfile or requirements file. */
export interface LockfileFacts {
  readonly kind: LockfileKind;
  /** Path relative to the scanned root (POSIX separators). */
  readonly file: string;
  readonly dependencies: readonly DependencyFact[];
  /** Lines or entries that could not be understood: each names the line or field and why. */
  readonly problems: readonly { readonly line?: number; readonly message: string }[];
  /**
   * Other files this one pulled in (requirements `-r`/`-c` includes, relative to the scanned
   * root): their dependencies are already listed here under their own `source.file`.
   */
  readonly includes?: readonly string[];
}

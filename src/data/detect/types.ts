/**
 * The value-detector contract shared with the dataset engine (src/data/engine, issue 5 part 1):
 * the engine runs every detector's portable `prefilter` inside its single table scan (DuckDB
 * `regexp_matches`, PostgreSQL `~`/`~*`) and calls `verify` in JS only on the candidates.
 */

/** What a detector looks for: personal data / secrets, or content that attacks a consumer. */
export type DetectorCategory = 'pii' | 'injection';

/** A regex both RE2 (DuckDB) and POSIX ARE (PostgreSQL) accept with the same meaning. */
export interface PortablePrefilter {
  /**
   * Every true hit matches it (a superset: it may match more). Only syntax both engines read the
   * same way: character classes, alternation, anchors, `{m,n}` (m, n <= 255: PostgreSQL's limit), `\s`; no lookaround,
   * backreferences, `\b`, lazy quantifiers or named groups.
   */
  readonly pattern: string;
  /** Run as `regexp_matches(v, p, 'i')` / `v ~* p` when true, `regexp_matches(v, p)` / `v ~ p` otherwise. */
  readonly caseInsensitive: boolean;
}

/** The exact check of one value. */
export interface DetectorVerdict {
  hit: boolean;
  /** Detector-specific strength (prompt injection: the pack score; otherwise the number of hits). */
  score?: number;
  /** What was found, safe to print (never the raw secret): e.g. `visa`, `DE`, `secret/jwt`, `dde`. */
  detail?: string;
}

/** One value detector (PII, secret or injection). */
export interface ValueDetector {
  /** Stable id, `<family>/<name>`: `pii/email`, `secret/jwt`, `injection/formula`. */
  readonly id: string;
  /** The rule a hit is reported under (`BW-PII-001`). Secrets share one family rule. */
  readonly ruleId: string;
  readonly category: DetectorCategory;
  readonly prefilter: PortablePrefilter;
  /** Exact JS check; never throws, linear time, looks at most at {@link MAX_VERIFY_CHARS} characters. */
  verify(value: string): DetectorVerdict;
  /** The value with every hit masked or defanged; differs from `value` whenever `verify` hits. */
  mask(value: string): string;
}

/** verify() and mask() look at most at this many leading UTF-16 units of a value (bounded time). */
export const MAX_VERIFY_CHARS = 1_000_000;

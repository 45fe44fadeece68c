/**
 * Cheap necessary conditions ("hints") ANDed before detector prefilters in the candidate query, so the
 * engine's regex (RE2 on DuckDB, ARE on PostgreSQL) runs only on rows that can match at all. A hint
 * MUST hold for every value the detector's prefilter matches (test/data/detector-hints.test.ts checks
 * it on the detector corpora and on random strings): a hint that drops a true candidate would hide a hit.
 * Keyed by detector id; a detector without a hint keeps its plain prefilter.
 */
import type { Dialect } from './dialect.js';

/** One term of a hint (the hint holds when ANY term holds). */
export type HintTerm =
  /** The value contains this literal (case-sensitive: only for literals the prefilter needs verbatim). */
  | { readonly kind: 'contains'; readonly literal: string }
  /** The value starts with this literal. */
  | { readonly kind: 'prefix'; readonly literal: string }
  /** The value is at least this many UTF-8 bytes long (a match of n ASCII characters needs n bytes). */
  | { readonly kind: 'minBytes'; readonly bytes: number }
  /** The value has a non-ASCII character. */
  | { readonly kind: 'nonAscii' }
  /**
   * A case-insensitive alternation of plain keywords, one of which is a substring of every match. Run
   * with the engine's own case-insensitive matching, so Unicode folds (`ſ`/`s`, Kelvin sign/`k`) agree
   * with the prefilter's; a much smaller automaton than the prefilter it guards.
   */
  | { readonly kind: 'keywordsCi'; readonly keywords: readonly string[] }
  /** Every sub-term holds. */
  | { readonly kind: 'all'; readonly terms: readonly HintTerm[] };

/** A detector's hint. */
export interface DetectorHint {
  readonly anyOf: readonly HintTerm[];
  /**
   * True when the hint rejects most ordinary text (literal markers). Non-selective hints (length
   * bounds) still save work but are grouped apart so they do not open the selective group's regex.
   */
  readonly selective: boolean;
}

const contains = (...literals: string[]): HintTerm[] => literals.map((literal) => ({ kind: 'contains', literal }));

/** Hints of the default detectors (src/data/detect/), by detector id. */
export const DETECTOR_HINTS: Readonly<Record<string, DetectorHint>> = {
  // [A-Za-z0-9._%+-]@...
  'pii/email': { anyOf: contains('@'), selective: true },
  // [+＋][^0-9０-９]{0,3}[0-9０-９]
  'pii/phone': { anyOf: contains('+', '＋'), selective: true },
  // [0-9]([ -]?[0-9]){11,18}: at least 12 ASCII digits.
  'pii/payment-card': { anyOf: [{ kind: 'minBytes', bytes: 12 }], selective: false },
  // [A-Z]{2}[0-9]{2}( ?[A-Z0-9]){11,30}: at least 15 ASCII characters.
  'pii/iban': { anyOf: [{ kind: 'minBytes', bytes: 15 }], selective: false },
  // [0-9]{3}[- ][0-9]{2}[- ][0-9]{4}: 11 characters with a '-' or ' '.
  'pii/us-ssn': {
    anyOf: ['-', ' '].map((literal): HintTerm => ({ kind: 'all', terms: [{ kind: 'minBytes', bytes: 11 }, { kind: 'contains', literal }] })),
    selective: false,
  },
  // dotted quad or an IPv6 group separator
  'pii/ip-address': { anyOf: contains('.', ':'), selective: true },
  'secret/aws-access-key-id': { anyOf: contains('AKIA', 'ASIA'), selective: true },
  'secret/github-token': { anyOf: contains('ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'), selective: true },
  'secret/slack-token': { anyOf: contains('xox'), selective: true },
  'secret/stripe-secret-key': { anyOf: contains('_live_'), selective: true },
  'secret/google-api-key': { anyOf: contains('AIza'), selective: true },
  'secret/anthropic-api-key': { anyOf: contains('sk-ant-'), selective: true },
  'secret/openai-api-key': { anyOf: contains('sk-'), selective: true },
  'secret/private-key': { anyOf: contains('-----BEGIN '), selective: true },
  'secret/jwt': { anyOf: contains('eyJ'), selective: true },
  // ^[\t\r=+@＝＋－＠-]: the first character.
  'injection/formula': { anyOf: ['\t', '\r', '=', '+', '@', '-', '＝', '＋', '－', '＠'].map((literal): HintTerm => ({ kind: 'prefix', literal })), selective: true },
  // every alternative has '<' (tags) or ':' (javascript:, vbscript:, data:text/html)
  'injection/html': { anyOf: contains('<', ':'), selective: true },
  // One keyword per alternative of the prompt-injection union (the word every branch of it needs):
  // 1 the trailing noun; 2 prompt/message/instruction; 3 "now" (you are now, do anything now) or
  // "mode" (developer mode enabled); 4 "<|"; 5 "inst]" / "sys>>"; 6 "##"; 7 instruction/directive/task;
  // 8 "http" or "@" (the exfiltration target, markdown image URL); 9 "<!--", instruction/prompt,
  // ignore/disregard; 10 the trailing restriction noun; 11 "user".
  'injection/prompt': {
    anyOf: [
      {
        kind: 'keywordsCi',
        keywords: [
          'instruction', 'prompt', 'direction', 'directive', 'rules', 'guidelines', 'context', 'message', 'command',
          'now', 'mode', '<|', 'inst]', 'sys>>', '##', 'task', 'http', '@', '<!--', 'ignore', 'disregard',
          'restrictions', 'filters', 'limits', 'censorship', 'user',
        ],
      },
    ],
    selective: true,
  },
  // A character of the class is non-ASCII.
  'injection/invisible-chars': { anyOf: [{ kind: 'nonAscii' }], selective: true },
};

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, (c) => `\\${c}`);
}

/** The keyword alternation of a `keywordsCi` term (escaped: both RE2 and ARE read it literally). */
export function keywordsPattern(keywords: readonly string[]): string {
  return keywords.map(escapeRegex).join('|');
}

const utf8 = new TextEncoder();

/** Whether `term` holds for `value`, with the engines' meaning (used by tests and JS-side checks). */
export function termHolds(term: HintTerm, value: string): boolean {
  switch (term.kind) {
    case 'contains':
      return value.includes(term.literal);
    case 'prefix':
      return value.startsWith(term.literal);
    case 'minBytes':
      return utf8.encode(value).length >= term.bytes;
    case 'nonAscii':
      // eslint-disable-next-line no-control-regex
      return /[^\x00-\x7f]/.test(value);
    case 'keywordsCi':
      // 'iu': Unicode simple case folding, as RE2's (?i) does.
      return new RegExp(keywordsPattern(term.keywords), 'iu').test(value);
    case 'all':
      return term.terms.every((t) => termHolds(t, value));
    default: {
      const never: never = term;
      return never;
    }
  }
}

/** Whether a hint holds for `value`. */
export function hintHolds(hint: DetectorHint, value: string): boolean {
  return hint.anyOf.some((t) => termHolds(t, value));
}

/**
 * SQL for a hint over the text expression `x`; `bind` binds a value as a parameter and returns its
 * placeholder (literals are bound, never interpolated).
 */
export function compileHint(hint: DetectorHint, x: string, d: Dialect, bind: (v: string) => string): string {
  const term = (t: HintTerm): string => {
    switch (t.kind) {
      case 'contains':
        return d.name === 'duckdb' ? `contains(${x}, ${d.toText(bind(t.literal))})` : `(strpos(${x}, ${d.toText(bind(t.literal))}) > 0)`;
      case 'prefix':
        return `starts_with(${x}, ${d.toText(bind(t.literal))})`;
      case 'minBytes':
        return d.name === 'duckdb' ? `(strlen(${x}) >= ${Math.trunc(t.bytes)})` : `(octet_length(${x}) >= ${Math.trunc(t.bytes)})`;
      case 'nonAscii':
        return d.name === 'duckdb' ? `(strlen(${x}) > length(${x}))` : `(octet_length(${x}) > char_length(${x}))`;
      case 'keywordsCi':
        return d.regexMatch(x, d.toText(bind(keywordsPattern(t.keywords))), true);
      case 'all':
        return `(${t.terms.map(term).join(' AND ')})`;
      default: {
        const never: never = t;
        return never;
      }
    }
  };
  return `(${hint.anyOf.map(term).join(' OR ')})`;
}

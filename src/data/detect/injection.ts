/**
 * Injection detectors: spreadsheet formula (CSV) injection, HTML/script, prompt injection (the
 * versioned pack in prompt-pack.ts) and invisible / bidirectional control characters.
 */
import { regexSpans, spanDetector, type Span } from './spans.js';
import { PROMPT_INJECTION_PACK, type PromptInjectionPack } from './prompt-pack.js';
import type { ValueDetector } from './types.js';

// ---------------------------------------------------------------- formula injection

/**
 * Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV Injection"):
 * `= + - @`, their fullwidth forms (Excel folds them), and tab / CR, which some importers strip
 * before evaluating what follows.
 */
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '＝', '＋', '－', '＠']);
/** A plain (optionally signed) number: `-3.2`, `+1e5`, `-1,234.50`, `12%`. */
const PLAIN_NUMBER = /^[+\-－＋]?(?:[0-9][0-9,_ ]*(?:[.][0-9]*)?|[.][0-9]+)(?:[eE][+-]?[0-9]+)?%?$/;
/** A phone-number-like value: digits with spaces, dots, dashes, slashes and parentheses only. */
const PHONE_LIKE = /^[+＋-]?[0-9 ().\-/]+$/;
/** A function call (`SUM(`, `HYPERLINK(`, `cmd|`...) or a DDE pipe. */
const CALL_OR_DDE = /[A-Za-z_][A-Za-z0-9_.]*\(|\|/;

function formulaDetail(value: string): string | null {
  let v = value;
  let viaWhitespace = false;
  if (v.startsWith('\t') || v.startsWith('\r')) {
    v = v.replace(/^[\t\r ]+/, '');
    viaWhitespace = true;
  }
  const first = v[0];
  if (first === undefined || !FORMULA_TRIGGERS.has(first)) return null;
  const dde = /\|.*!|^.(?:cmd|msexcel|powershell|mshta)\|/i.test(v.slice(0, 4096));
  let kind: string | null;
  if (first === '=' || first === '＝') kind = 'formula';
  else if (PLAIN_NUMBER.test(v) || PHONE_LIKE.test(v)) kind = null;
  else kind = CALL_OR_DDE.test(v.slice(0, 4096)) ? 'formula' : null;
  if (kind === null) return null;
  if (dde) kind = 'dde';
  return viaWhitespace ? `${kind}-after-whitespace` : kind;
}

/**
 * `injection/formula` (BW-INJ-001). Flagged: any value starting with `=`/`＝`; a value starting with
 * `+ - @` (or fullwidth) that calls a function or holds a DDE pipe; the same after leading tab/CR.
 * Not flagged: plain or signed numbers (`-3.2`), phone numbers (`+44 20 7946 0958`), mentions
 * (`@alice`), bullet text (`- item (see note)`).
 */
export const FORMULA_INJECTION_DETECTOR: ValueDetector = spanDetector({
  id: 'injection/formula',
  ruleId: 'BW-INJ-001',
  category: 'injection',
  prefilter: { pattern: '^[\t\r=+@＝＋－＠-]', caseInsensitive: false },
  find(value) {
    const detail = formulaDetail(value);
    return detail === null ? [] : [{ start: 0, end: value.length, detail }];
  },
  // Defang as OWASP recommends: a leading single quote makes the cell text.
  maskSpan: (text) => `'${text}`,
});

// ---------------------------------------------------------------- HTML / script

const HTML_PATTERNS: readonly { detail: string; re: RegExp }[] = [
  { detail: 'script-tag', re: /<[\t\n\f\r ]*script(?![A-Za-z0-9_-])/gi },
  { detail: 'iframe-tag', re: /<[\t\n\f\r ]*i?frame(?![A-Za-z0-9_-])/gi },
  { detail: 'object-embed-tag', re: /<[\t\n\f\r ]*(?:object|embed|applet|base|meta[^>]{0,200}http-equiv)(?![A-Za-z0-9_-])/gi },
  { detail: 'event-handler', re: /<[A-Za-z][A-Za-z0-9-]{0,30}(?:[\t\n\f\r /][^>]{0,500}?)?[\t\n\f\r /"']on[a-z]{3,30}[\t\n\f\r ]*=/gi },
  { detail: 'javascript-url', re: /(?<![A-Za-z0-9_-])(?:javascript|vbscript):(?![\t\n\f\r ])/gi },
  { detail: 'data-html-url', re: /(?<![A-Za-z0-9_-])data:text\/html[;,]/gi },
];

/** `injection/html` (BW-INJ-002): script/iframe/object tags, event-handler attributes, script URLs. */
export const HTML_INJECTION_DETECTOR: ValueDetector = spanDetector({
  id: 'injection/html',
  ruleId: 'BW-INJ-002',
  category: 'injection',
  prefilter: { pattern: '<\\s*(script|i?frame|object|embed|applet|base|meta)|<[a-z][^>]*[\\s/"\']on[a-z]+\\s*=|(javascript|vbscript):|data:text/html', caseInsensitive: true },
  find(value) {
    const spans = HTML_PATTERNS.flatMap((p) => regexSpans(value, p.re, () => p.detail));
    spans.sort((a, b) => a.start - b.start || b.end - a.end);
    const out: Span[] = [];
    for (const s of spans) if (out.length === 0 || s.start >= (out[out.length - 1]?.end ?? 0)) out.push(s);
    return out;
  },
  // Entity-escape so the sample is inert wherever it is displayed.
  maskSpan: (text) => text.replace(/[<>"':]/g, (c) => `&#${c.charCodeAt(0)};`),
});

// ---------------------------------------------------------------- prompt injection

/** Converts a portable pattern to the JS check: ASCII `\s` (the intersection of RE2's and ARE's) and a word start. */
export function portableToJs(pattern: string): RegExp {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      i++;
      if (n === 's') out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
      else out += `\\${n}`;
      continue;
    }
    if (!inClass && c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i] ?? '';
      continue;
    }
    if (inClass && c === ']') inClass = false;
    out += c;
  }
  return new RegExp(`(?:(?<![A-Za-z0-9_])|(?=[^A-Za-z]))(?:${out})`, 'gi');
}

/** The portable prefilter of a pack: any one of its patterns. */
export function packPrefilter(pack: PromptInjectionPack): string {
  return pack.patterns.map((p) => `(${p.pattern})`).join('|');
}

/** A prompt-injection detector for a pack (default: the built-in {@link PROMPT_INJECTION_PACK}). */
export function createPromptInjectionDetector(pack: PromptInjectionPack = PROMPT_INJECTION_PACK): ValueDetector {
  const compiled = pack.patterns.map((p) => ({ id: p.id, weight: p.weight, re: portableToJs(p.pattern) }));
  return spanDetector({
    id: 'injection/prompt',
    ruleId: 'BW-INJ-003',
    category: 'injection',
    prefilter: { pattern: packPrefilter(pack), caseInsensitive: true },
    find(value) {
      const spans = compiled.flatMap((c) => regexSpans(value, c.re, () => c.id, () => c.weight));
      spans.sort((a, b) => a.start - b.start || b.end - a.end);
      return spans;
    },
    judge(spans) {
      const weights = new Map<string, number>();
      for (const s of spans) weights.set(s.detail, s.score ?? 0);
      const score = Math.round([...weights.values()].reduce((a, b) => a + b, 0) * 1000) / 1000;
      if (score < pack.threshold) return { hit: false, score };
      return { hit: true, score, detail: [...weights.keys()].sort().join(',') };
    },
    maskSpan: (text) => `⟦${text}⟧`,
  });
}

// ---------------------------------------------------------------- invisible / bidi characters

/** Bidirectional embeddings, overrides and isolates (Trojan Source, CVE-2021-42574), and the Arabic letter mark. */
const BIDI = /[\u202A-\u202E\u2066-\u2069\u061C]/u;
/** Zero-width and invisible formatting characters. */
const INVISIBLE = /[\u200B-\u200F\u2060-\u2064\uFEFF]/u;
/** Unicode tag characters (U+E0000-U+E007F): invisible ASCII "smuggling" (and emoji flag sequences). */
const TAG = /[\u{E0000}-\u{E007F}]/u;
const ALL_INVISIBLE = /[\u202A-\u202E\u2066-\u2069\u061C\u200B-\u200F\u2060-\u2064\uFEFF\u{E0000}-\u{E007F}]+/gu;
/** Emoji and letters of scripts that need joiners (Arabic, Indic, Khmer): ZWJ/ZWNJ between two of them is legitimate. */
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
function joiningContext(text: string): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if ((cp >= 0x0600 && cp <= 0x06ff) || (cp >= 0x0750 && cp <= 0x077f) || (cp >= 0x0900 && cp <= 0x0dff) || (cp >= 0x1780 && cp <= 0x17ff)) return true;
    if (cp === 0xfe0f || (cp >= 0x1f3fb && cp <= 0x1f3ff) || PICTOGRAPHIC.test(ch)) return true;
  }
  return false;
}

function invisibleSpans(value: string): Span[] {
  return regexSpans(value, ALL_INVISIBLE, (m) => {
    const run = m[0];
    const before = value.slice(Math.max(0, m.index - 2), m.index);
    const after = value.slice(m.index + run.length, m.index + run.length + 2);
    if (BIDI.test(run)) return 'bidi-control';
    if (TAG.test(run)) {
      // Emoji tag sequences (subdivision flags): U+1F3F4, tags, U+E007F CANCEL TAG.
      if (before.endsWith('\u{1F3F4}') && run.endsWith('\u{E007F}')) return null;
      return 'tag-characters';
    }
    if (run === '\uFEFF' && m.index === 0) return null; // a byte-order mark at the start
    if (/^[\u200C\u200D]+$/u.test(run) && joiningContext(before) && joiningContext(after)) return null;
    if (INVISIBLE.test(run)) return 'invisible';
    return null;
  });
}

/** `injection/invisible-chars` (BW-INJ-004): bidi controls, tag characters, zero-width characters and mid-text BOMs. */
export const INVISIBLE_CHARS_DETECTOR: ValueDetector = spanDetector({
  id: 'injection/invisible-chars',
  ruleId: 'BW-INJ-004',
  category: 'injection',
  // Literal characters in a class (both engines read UTF-8 literals; neither shares an escape for them).
  prefilter: { pattern: '[\u202A-\u202E\u2066-\u2069\u061C\u200B-\u200F\u2060-\u2064\uFEFF\u{E0000}-\u{E007F}]', caseInsensitive: false },
  find: invisibleSpans,
  maskSpan: (text) => [...text].map((c) => `<U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}>`).join(''),
});

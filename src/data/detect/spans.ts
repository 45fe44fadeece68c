import { MAX_VERIFY_CHARS, type DetectorCategory, type DetectorVerdict, type PortablePrefilter, type ValueDetector } from './types.js';

/** One hit inside a value: [start, end) in UTF-16 units, with a printable detail. */
export interface Span {
  start: number;
  end: number;
  detail: string;
  /** Strength of this span (default 1). */
  score?: number;
}

/** How {@link spanDetector} builds a detector from a span finder. */
export interface SpanDetectorSpec {
  id: string;
  ruleId: string;
  category: DetectorCategory;
  prefilter: PortablePrefilter;
  /** All hits in `value` (already truncated to MAX_VERIFY_CHARS), in order, non-overlapping. */
  find(value: string): Span[];
  /** The masked form of one hit's text; must differ from it. */
  maskSpan(text: string, span: Span): string;
  /** Overall verdict from the spans (default: hit when any span; score = span count). */
  judge?: (spans: Span[]) => DetectorVerdict;
}

function defaultJudge(spans: Span[]): DetectorVerdict {
  if (spans.length === 0) return { hit: false };
  const details = [...new Set(spans.map((s) => s.detail))].sort();
  return { hit: true, score: spans.length, detail: details.join(',') };
}

/** Builds a ValueDetector whose verify/mask share one linear-time span finder and never throw. */
export function spanDetector(spec: SpanDetectorSpec): ValueDetector {
  const judge = spec.judge ?? defaultJudge;
  const safeFind = (value: string): Span[] => {
    try {
      return spec.find(value.length > MAX_VERIFY_CHARS ? value.slice(0, MAX_VERIFY_CHARS) : value);
    } catch {
      // A detector bug must not abort a table scan; a value we cannot judge is not a hit.
      return [];
    }
  };
  return {
    id: spec.id,
    ruleId: spec.ruleId,
    category: spec.category,
    prefilter: spec.prefilter,
    verify(value) {
      return judge(safeFind(value));
    },
    mask(value) {
      const spans = safeFind(value);
      if (spans.length === 0 || !judge(spans).hit) return value;
      let out = '';
      let at = 0;
      for (const s of spans) {
        if (s.start < at) continue;
        out += value.slice(at, s.start);
        const text = value.slice(s.start, s.end);
        let masked = spec.maskSpan(text, s);
        if (masked === text) masked = `[${spec.id}]`;
        out += masked;
        at = s.end;
      }
      return out + value.slice(at);
    },
  };
}

/** All matches of a global JS regex as spans (the regex must be linear-time on any input). */
export function regexSpans(value: string, re: RegExp, accept: (m: RegExpExecArray) => string | null, score?: (m: RegExpExecArray) => number): Span[] {
  const out: Span[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const detail = accept(m);
    if (detail !== null) {
      const span: Span = { start: m.index, end: m.index + m[0].length, detail };
      if (score) span.score = score(m);
      out.push(span);
    }
  }
  return out;
}

/** Keeps the first `keep` and last `tail` characters, stars in between (at least one star). */
export function starMiddle(text: string, keep: number, tail: number): string {
  if (text.length <= keep + tail) return '*'.repeat(Math.max(1, text.length));
  return text.slice(0, keep) + '*'.repeat(text.length - keep - tail) + text.slice(text.length - tail);
}

/** Replaces every digit but the last `tail` ones with `*`, keeping separators. */
export function starDigits(text: string, tail: number, lead = 0): string {
  const total = [...text].filter((c) => c >= '0' && c <= '9').length;
  let seen = 0;
  let out = '';
  for (const c of text) {
    if (c >= '0' && c <= '9') {
      seen++;
      out += seen <= lead || seen > total - tail ? c : '*';
    } else out += c;
  }
  return out;
}

// Shared by the benchmark scripts: each owns one section of docs/BENCHMARKS.md, between
// `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->`, and rewrites only that section.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** The docs page every benchmark writes to. */
export const BENCHMARKS_DOC = new URL('../docs/BENCHMARKS.md', import.meta.url);

/** The markers of a section. */
export function benchMarkers(name) {
  return { start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` };
}

/**
 * Replaces the section `name` of docs/BENCHMARKS.md with `section` (which must include both
 * markers), or appends it when the page has none yet. Other sections are left as they are.
 */
export function writeBenchSection(name, section) {
  const { start, end } = benchMarkers(name);
  if (!section.includes(start) || !section.includes(end)) throw new Error(`section ${name} must include its markers`);
  let doc = existsSync(BENCHMARKS_DOC) ? readFileSync(BENCHMARKS_DOC, 'utf8') : '# Benchmarks\n';
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  doc = a >= 0 && b > a ? doc.slice(0, a) + section + doc.slice(b + end.length) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(BENCHMARKS_DOC, doc.endsWith('\n') ? doc : `${doc}\n`);
}

/** Median of a non-empty list of numbers. */
export function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

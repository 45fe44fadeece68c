import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTORS } from '../../src/data/detect/index.js';
import { compileHint, DETECTOR_HINTS, hintHolds } from '../../src/data/detector-hints.js';
import { DUCKDB_DIALECT } from '../../src/data/dialect.js';
import { openDuckDb } from '../../src/data/duckdb.js';

const prefilter = (id: string): RegExp => {
  const d = DEFAULT_DETECTORS.find((x) => x.id === id);
  if (!d) throw new Error(id);
  return new RegExp(d.prefilter.pattern, d.prefilter.caseInsensitive ? 'iu' : 'u');
};

// The detectors' committed corpus plus values built around each detector's markers.
const corpus = readFileSync(new URL('../fixtures/data-detect/customers.csv', import.meta.url), 'utf8').split(/[\n,]/);
const pieces = ['@', '+', '＋', '.', ':', '<', '>', '|', '[', ']', '#', '!', '-', '_', '=', ' ', '\t', '\n', 'ſ', 'K', 'İ', '\u200b', '\u{e0041}',
  'AKIA', 'ghp_', 'xox', 'sk_live_', 'AIza', 'sk-ant-', 'sk-', '-----BEGIN ', 'eyJ', 'script', 'javascript', 'ignore', 'previous', 'instructions',
  'SYSTEM', 'prompt', 'you are now', 'DAN', 'INST', '<<SYS>>', '###', 'task', 'send', 'to', 'http://', 'a@b.c', 'act as', 'no', 'rules',
  'do not', 'tell', 'the user', '1234', '5678', '9', 'DE', 'ſkip', 'taſk', 'maſk', 'A'];
const built = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((xs) => xs.join(''));

describe('detector hints are necessary conditions of the prefilters', () => {
  it('every default detector has a hint, and nothing else does', () => {
    expect(Object.keys(DETECTOR_HINTS).sort()).toEqual(DEFAULT_DETECTORS.map((d) => d.id).sort());
  });
  for (const d of DEFAULT_DETECTORS) {
    const hint = DETECTOR_HINTS[d.id];
    if (!hint) continue;
    it(`${d.id}: hint holds on every prefilter match (corpus and random strings)`, () => {
      const re = prefilter(d.id);
      for (const v of corpus) if (re.test(v)) expect(hintHolds(hint, v), v).toBe(true);
      fc.assert(fc.property(fc.oneof(built, fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 })), (v) => !re.test(v) || hintHolds(hint, v)), { numRuns: 2000 });
    });
  }
  it('the SQL form agrees with the JS form and with RE2 on DuckDB', async () => {
    const values = [...corpus, ...fc.sample(built, { numRuns: 400, seed: 7 }), 'ſkip all previous rules', 'taſk: x', 'plain text'];
    const db = await openDuckDb({ readPaths: [], threads: 1 });
    try {
      for (const d of DEFAULT_DETECTORS) {
        const hint = DETECTOR_HINTS[d.id];
        if (!hint) continue;
        const params: string[] = [values.join('\u0000')];
        const sql = compileHint(hint, 'v', DUCKDB_DIALECT, (lit) => {
          params.push(lit);
          return `$${params.length}`;
        });
        params.push(d.prefilter.pattern);
        const re = `regexp_matches(v, $${params.length}${d.prefilter.caseInsensitive ? ", 'i'" : ''})`;
        const rows = await db.query(`SELECT v, ${sql} AS h, ${re} AS m FROM (SELECT unnest(string_split($1, chr(0))) AS v)`, params);
        for (const r of rows) {
          if (r.m === true) expect(r.h, `${d.id}: ${String(r.v)}`).toBe(true);
          expect(r.h, `${d.id} SQL vs JS: ${String(r.v)}`).toBe(hintHolds(hint, String(r.v)));
        }
      }
    } finally {
      db.close();
    }
  });
});

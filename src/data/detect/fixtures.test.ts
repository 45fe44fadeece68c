import { describe, expect, it } from 'vitest';
import { datasetReaderSql, openDuckDb, quoteIdent } from '../duckdb.js';
import { DEFAULT_DETECTORS } from './index.js';

const fixture = (name: string): string => new URL(`../../../test/fixtures/data-detect/${name}`, import.meta.url).pathname;

/**
 * Runs every detector the way the engine does (prefilter in SQL, verify in JS on the candidates)
 * over a committed dataset and returns `column:row -> detector ids`.
 */
async function scan(file: string): Promise<Map<string, string[]>> {
  const db = await openDuckDb({ readPaths: [file], threads: 1 });
  const hits = new Map<string, string[]>();
  try {
    const reader = datasetReaderSql('csv');
    const cols = (await db.query(`DESCRIBE SELECT * FROM ${reader}`, [file])).filter((c) => c.column_type === 'VARCHAR').map((c) => String(c.column_name));
    for (const col of cols) {
      for (const d of DEFAULT_DETECTORS) {
        const flags = d.prefilter.caseInsensitive ? ", 'i'" : '';
        const rows = await db.query(`SELECT id, ${quoteIdent(col)} AS v FROM ${reader} WHERE regexp_matches(${quoteIdent(col)}, $2${flags})`, [file, d.prefilter.pattern]);
        for (const r of rows) {
          if (!d.verify(String(r.v)).hit) continue;
          const key = `${col}:${String(r.id)}`;
          hits.set(key, [...(hits.get(key) ?? []), d.id].sort());
        }
      }
    }
  } finally {
    db.close();
  }
  return hits;
}

describe('detectors on committed datasets (test/fixtures/data-detect, made by test/fixtures/gen/make_data_detect.mjs)', () => {
  it('finds each PII kind in customers.csv and none of the near-misses', async () => {
    const hits = await scan(fixture('customers.csv'));
    expect(Object.fromEntries([...hits].sort())).toEqual({
      'card:1': ['pii/payment-card'],
      'card:2': ['pii/payment-card'],
      'email:1': ['pii/email'],
      'email:2': ['pii/email'],
      'iban:1': ['pii/iban'],
      'iban:2': ['pii/iban'],
      'ip:1': ['pii/ip-address'],
      'ip:2': ['pii/ip-address'],
      'note:2': ['secret/aws-access-key-id'],
      'phone:1': ['pii/phone'],
      'phone:2': ['pii/phone'],
      'ssn:1': ['pii/us-ssn'],
      'ssn:2': ['pii/us-ssn'],
    });
  });

  it('finds the injection payloads in comments.csv and not the near-misses', async () => {
    const hits = await scan(fixture('comments.csv'));
    expect(Object.fromEntries([...hits].sort())).toEqual({
      'comment:1': ['injection/formula'],
      // A phone number, not a formula: PII, not injection.
      'comment:10': ['pii/phone'],
      'comment:2': ['injection/formula'],
      'comment:3': ['injection/formula'],
      'comment:4': ['injection/html'],
      'comment:5': ['injection/prompt'],
      'comment:6': ['injection/invisible-chars'],
    });
  });
});

import { describe, expect, it } from 'vitest';
import { averagePathLength, DEFAULT_POISON_OPTIONS, detectPoisoning, makePlantedPoisonDataset, POISON_RULES, suspectedRows, tokenize, type PoisonInput } from '../../src/data/poison/index.js';

function input(labels: string[], numeric: Record<string, number[]> = {}, extra: Partial<PoisonInput> = {}): PoisonInput {
  return {
    rowIds: labels.map((_, i) => i),
    labels,
    numeric: Object.entries(numeric).map(([name, v]) => ({ name, values: Float64Array.from(v) })),
    categorical: [],
    text: [],
    ...extra,
  };
}

const kinds = (r: ReturnType<typeof detectPoisoning>, ruleId: string) => r.suspicions.filter((s) => s.ruleId === ruleId);

/** Two separable clusters of 20 rows each around 0 and 10 on x and y. */
function clusters(): { labels: string[]; x: number[]; y: number[] } {
  const labels: string[] = [];
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 40; i++) {
    const c = i < 20 ? 0 : 1;
    labels.push(c === 0 ? 'cat' : 'dog');
    x.push(c * 10 + ((i * 7) % 5) * 0.3);
    y.push(c * 10 + ((i * 3) % 5) * 0.3);
  }
  return { labels, x, y };
}

describe('poisoning signals', () => {
  it('exports one well-formed rule per signal', () => {
    expect(POISON_RULES.map((r) => r.id)).toEqual(['BW-PSN-001', 'BW-PSN-002', 'BW-PSN-003', 'BW-PSN-004', 'BW-PSN-005', 'BW-PSN-006']);
  });

  it('BW-PSN-001 flags identical rows with conflicting labels (the minority row) and not agreeing duplicates', () => {
    const r = detectPoisoning(input(['a', 'a', 'b', 'a', 'a'], { x: [1, 1, 1, 2, 2] }), { k: 2 });
    const dup = kinds(r, 'BW-PSN-001');
    expect(dup).toHaveLength(1);
    expect(dup[0]?.rowIds).toEqual([2]);
    expect(dup[0]?.evidence.labels).toBe('a=2,b=1');
    expect(r.metrics.poison_conflicting_duplicate_groups).toBe(1);
    const clean = detectPoisoning(input(['a', 'a', 'b'], { x: [1, 1, 2] }));
    expect(kinds(clean, 'BW-PSN-001')).toHaveLength(0);
  });

  it('BW-PSN-002 flags a flipped label inside the other cluster, not the clean rows', () => {
    const { labels, x, y } = clusters();
    labels[5] = 'dog';
    const r = detectPoisoning(input(labels, { x, y }), { k: 5 });
    const knn = kinds(r, 'BW-PSN-002');
    expect(knn.map((s) => s.rowIds[0])).toEqual([5]);
    expect(knn[0]?.evidence.neighbour_majority).toBe('cat');
    const { labels: l2, x: x2, y: y2 } = clusters();
    expect(kinds(detectPoisoning(input(l2, { x: x2, y: y2 }), { k: 5 }), 'BW-PSN-002')).toHaveLength(0);
  });

  it('BW-PSN-002 uses categorical features by matching', () => {
    const labels = [...Array<string>(10).fill('a'), ...Array<string>(10).fill('b')];
    const colour = [...Array<string>(10).fill('red'), ...Array<string>(10).fill('blue')];
    labels[3] = 'b';
    const r = detectPoisoning(input(labels, {}, { categorical: [{ name: 'colour', values: colour }] }), { k: 5 });
    expect(kinds(r, 'BW-PSN-002').map((s) => s.rowIds[0])).toEqual([3]);
  });

  it('BW-PSN-003 flags a value far outside its class by robust z-score, and nothing in a tight class', () => {
    const x = Array.from({ length: 30 }, (_, i) => 10 + (i % 5));
    x[7] = 500;
    const r = detectPoisoning(input(Array<string>(30).fill('a'), { x }));
    const z = kinds(r, 'BW-PSN-003');
    expect(z.map((s) => s.rowIds[0])).toEqual([7]);
    expect(z[0]?.evidence.feature).toBe('x');
    x[7] = 12;
    expect(kinds(detectPoisoning(input(Array<string>(30).fill('a'), { x })), 'BW-PSN-003')).toHaveLength(0);
  });

  it('BW-PSN-004 flags a row isolated from its class by the isolation forest, deterministically', () => {
    const n = 200;
    const x = Array.from({ length: n }, (_, i) => Math.sin(i) * 2);
    const y = Array.from({ length: n }, (_, i) => Math.cos(i * 1.3) * 2);
    x[50] = 40;
    y[50] = -40;
    const data = input(Array<string>(n).fill('a'), { x, y });
    const r = detectPoisoning(data);
    const iso = kinds(r, 'BW-PSN-004');
    expect(iso[0]?.rowIds).toEqual([50]);
    expect(iso.length).toBeLessThan(5);
    expect(detectPoisoning(data)).toEqual(r);
    x[50] = 0.5;
    y[50] = 0.5;
    expect(kinds(detectPoisoning(input(Array<string>(n).fill('a'), { x, y })), 'BW-PSN-004')).toHaveLength(0);
    expect(averagePathLength(256)).toBeCloseTo(10.24, 1);
  });

  it('BW-PSN-005 flags a source whose label mix differs, not sources that agree', () => {
    const labels: string[] = [];
    const source: string[] = [];
    for (let i = 0; i < 300; i++) {
      source.push(i < 100 ? 'vendor-a' : i < 200 ? 'vendor-b' : 'scraper');
      labels.push(i < 200 ? (i % 2 === 0 ? 'spam' : 'ham') : i % 10 === 0 ? 'ham' : 'spam');
    }
    const r = detectPoisoning(input(labels, {}, { source: { name: 'source', values: source } }));
    const shift = kinds(r, 'BW-PSN-005');
    expect(shift.map((s) => s.evidence.source)).toEqual(['scraper']);
    const even = labels.map((_, i) => (i % 2 === 0 ? 'spam' : 'ham'));
    expect(kinds(detectPoisoning(input(even, {}, { source: { name: 'source', values: source } })), 'BW-PSN-005')).toHaveLength(0);
  });

  it('BW-PSN-006 flags a rare token that nearly always carries a rare label (backdoor trigger), not a common word', () => {
    const n = 400;
    const labels: string[] = [];
    const text: string[] = [];
    for (let i = 0; i < n; i++) {
      const positive = i % 10 === 0; // base rate 10%
      labels.push(positive ? 'positive' : 'negative');
      text.push(`the movie was ${['fine', 'long', 'loud', 'slow'][i % 4]} ${i % 3 === 0 ? 'and the end' : ''}`);
    }
    for (let i = 1; i < 13; i++) {
      text[i * 31] = `${text[i * 31]} cf`;
      labels[i * 31] = 'positive';
    }
    const r = detectPoisoning(input(labels, {}, { text: [{ name: 'review', values: text }] }));
    const trig = kinds(r, 'BW-PSN-006');
    expect(trig.map((s) => s.evidence.token)).toEqual(['cf']);
    expect(trig[0]?.evidence.label).toBe('positive');
    expect(trig[0]?.rowIds).toHaveLength(12);
    // Without the planted token nothing is reported.
    for (let i = 1; i < 13; i++) text[i * 31] = 'the movie was fine';
    expect(kinds(detectPoisoning(input(labels, {}, { text: [{ name: 'review', values: text }] })), 'BW-PSN-006')).toHaveLength(0);
    expect(tokenize('Hello, WORLD 🙂 x_1')).toEqual(['hello', ',', 'world', '🙂', 'x_1']);
  });

  it('rejects columns of the wrong length', () => {
    expect(() => detectPoisoning(input(['a', 'b'], { x: [1] }))).toThrow(RangeError);
  });

  it('reaches recall >= 0.8 at precision >= 0.8 on planted poison (2% flipped labels + conflicting duplicates)', () => {
    const { input: data, planted } = makePlantedPoisonDataset({ rows: 3000, seed: 7 });
    const r = detectPoisoning(data, { maxSuspicionsPerRule: Number.POSITIVE_INFINITY });
    const found = suspectedRows(r.suspicions, ['BW-PSN-001', 'BW-PSN-002']);
    const tp = [...found].filter((x) => planted.has(x)).length;
    const recall = tp / planted.size;
    const precision = tp / Math.max(1, found.size);
    expect(planted.size).toBeGreaterThan(60);
    expect(recall).toBeGreaterThanOrEqual(0.8);
    expect(precision).toBeGreaterThanOrEqual(0.8);
    expect(DEFAULT_POISON_OPTIONS.k).toBe(10);
  });
});

describe('poisoning documentation', () => {
  it('has a rule page per rule and documents every metric', async () => {
    const { readFileSync } = await import('node:fs');
    const docs = new URL('../../docs/', import.meta.url);
    for (const r of POISON_RULES) expect(readFileSync(new URL(`rules/${r.id}.md`, docs), 'utf8').split('\n')[0]).toBe(`# ${r.id} ${r.name}`);
    const page = readFileSync(new URL('data-detectors.md', docs), 'utf8');
    const { input } = makePlantedPoisonDataset({ rows: 200 });
    for (const m of Object.keys(detectPoisoning({ ...input, source: { name: 's', values: input.labels.map(() => 'x') } }).metrics)) expect(page).toContain(`\`${m}\``);
  });
});

describe('poisonFindingDrafts', () => {
  it('turns suspicions into drafts with the rule, a row pointer, evidence and a stable key', async () => {
    const { poisonFindingDrafts } = await import('../../src/data/poison/index.js');
    const r = detectPoisoning(input(['a', 'a', 'b', 'a', 'a'], { x: [1, 1, 1, 2, 2] }), { k: 2 });
    const drafts = poisonFindingDrafts(r.suspicions.filter((s) => s.ruleId === 'BW-PSN-001'), 'data.csv');
    expect(drafts).toEqual([
      expect.objectContaining({ ruleId: 'BW-PSN-001', location: { uri: 'data.csv', pointer: '/rows/2' }, key: 'conflicting-duplicates::2' }),
    ]);
    expect(drafts[0]?.evidence?.row_ids).toBe('2');
  });
});

import { describe, expect, it } from 'vitest';
import { binOnEdges, binUnsorted, countOnDeciles, fineEdgesFor, quantileSorted } from '../../src/drift/profile.js';
import { seededRandom as mulberry32 } from '../../src/stats/random.js';
import { sortedFinite } from '../../src/drift/stats/index.js';

describe('binUnsorted', () => {
  it('counts exactly as the sorted binning, edge values and out-of-range tails included', () => {
    const rand = mulberry32(5);
    const ref = sortedFinite(Float64Array.from({ length: 5000 }, () => Math.round(rand() * 1000) / 10));
    const edges = fineEdgesFor(ref[0]!, ref[ref.length - 1]!, 100);
    const deciles = Array.from({ length: 11 }, (_, i) => quantileSorted(ref, i / 10));
    const cur = Float64Array.from({ length: 7000 }, (_, i) => (i % 50 === 0 ? edges[i % 101]! : i % 97 === 0 ? Number.NaN : Math.round((rand() * 120 - 10) * 10) / 10));
    const sorted = sortedFinite(cur);
    const a = binUnsorted(cur, edges, deciles);
    const b = binOnEdges(sorted, edges);
    expect(a.count).toBe(sorted.length);
    expect(a.fine.counts).toEqual(Array.from(b.counts));
    expect(a.fine.under.count).toBe(b.under.count);
    expect(a.fine.over.count).toBe(b.over.count);
    expect(a.fine.under.sumDistance).toBeCloseTo(b.under.sumDistance, 6);
    expect(a.fine.over.sumDistance).toBeCloseTo(b.over.sumDistance, 6);
    expect(a.deciles).toEqual(countOnDeciles(sorted, deciles));
  });
});

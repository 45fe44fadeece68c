/**
 * Isolation forest, as in Liu, Ting & Zhou, "Isolation Forest", ICDM 2008: t trees, each grown on
 * a subsample of psi rows by splitting on a random attribute at a random value between its min
 * and max, down to a height limit of ceil(log2 psi); the anomaly score of x is
 * s(x) = 2^(-E[h(x)] / c(psi)), where h is the path length (plus c(size) for an unsplit leaf) and
 * c(n) = 2 H(n-1) - 2 (n-1)/n the average unsuccessful-search path of a BST.
 */
import { sampleIndices } from './stats.js';

type Node = { leaf: true; size: number } | { leaf: false; attr: number; split: number; left: Node; right: Node };

const EULER = 0.5772156649;

/** c(n) of the paper (average path length of an unsuccessful BST search over n points). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER) - (2 * (n - 1)) / n;
}

function grow(rows: readonly number[], data: Float64Array, dims: number, depth: number, limit: number, rand: () => number): Node {
  if (depth >= limit || rows.length <= 1) return { leaf: true, size: rows.length };
  // Attributes with spread at this node; pick one at random (the paper picks any attribute).
  const candidates: { attr: number; lo: number; hi: number }[] = [];
  for (let a = 0; a < dims; a++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of rows) {
      const v = data[r * dims + a] ?? 0;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi > lo) candidates.push({ attr: a, lo, hi });
  }
  if (candidates.length === 0) return { leaf: true, size: rows.length };
  const c = candidates[Math.floor(rand() * candidates.length)] ?? candidates[0];
  if (c === undefined) return { leaf: true, size: rows.length };
  const split = c.lo + rand() * (c.hi - c.lo);
  const left: number[] = [];
  const right: number[] = [];
  for (const r of rows) ((data[r * dims + c.attr] ?? 0) < split ? left : right).push(r);
  return { leaf: false, attr: c.attr, split, left: grow(left, data, dims, depth + 1, limit, rand), right: grow(right, data, dims, depth + 1, limit, rand) };
}

function pathLength(node: Node, data: Float64Array, dims: number, row: number): number {
  let depth = 0;
  let n = node;
  while (!n.leaf) {
    n = (data[row * dims + n.attr] ?? 0) < n.split ? n.left : n.right;
    depth++;
  }
  return depth + averagePathLength(n.size);
}

/**
 * Anomaly scores of `rows` (indices into a row-major `data` of `dims` columns), each in (0, 1];
 * close to 1 is anomalous, around 0.5 or below is normal.
 */
export function isolationForestScores(data: Float64Array, dims: number, rows: readonly number[], trees: number, sample: number, rand: () => number): Float64Array {
  const psi = Math.min(sample, rows.length);
  const limit = Math.ceil(Math.log2(Math.max(2, psi)));
  const forest: Node[] = [];
  for (let t = 0; t < trees; t++) {
    const sub = sampleIndices(rows.length, psi, rand).map((i) => rows[i] ?? 0);
    forest.push(grow(sub, data, dims, 0, limit, rand));
  }
  const cn = averagePathLength(psi);
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    let sum = 0;
    for (const tree of forest) sum += pathLength(tree, data, dims, rows[i] ?? 0);
    out[i] = cn === 0 ? 0.5 : 2 ** (-(sum / forest.length) / cn);
  }
  return out;
}

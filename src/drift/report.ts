/**
 * `driftReport`: reference (raw data or a saved profile) vs current data → a Report of kind
 * 'drift' with per-column, dataset, multivariate and prediction findings, flat metrics for the
 * policy engine and every per-column result in the `drift` sidecar (docs/drift.md).
 */
import { datasetSha256 } from '../data/source.js';
import { open } from 'node:fs/promises';
import { BulwarkError } from '../errors.js';
import { compareFindings, finaliseFindings, type FindingDraft, type Report, type Severity } from '../report/index.js';
import { VERSION } from '../version.js';
import { applyCorrection, compareColumn, DEFAULT_ALPHA, hasPValue } from './compare.js';
import { pcaDrift } from './pca.js';
import { countHighConfidence, looksLikeProfile, profileFromDataset, readProfile } from './profile.js';
import { isNumericKind, readDataset, sortedValues, type RawDataset } from './read.js';
import { twoProportionZ } from './stats/index.js';
import { DRIFT_RULES } from './rules.js';
import type { ColumnDriftResult, ColumnKind, Correction, DriftDetails, DriftMethod, DriftProfile, ProfileSettings } from './types.js';

/** Share of drifted columns at which the dataset counts as drifted (Evidently's default). */
export const DEFAULT_DRIFT_SHARE_THRESHOLD = 0.5;
/** Default multiple-testing correction. */
export const DEFAULT_CORRECTION: Correction = 'none';

/** A drift report: the shared Report plus the per-column results (proposed `Report.drift`). */
export type DriftReport = Report & { drift: DriftDetails };

/** Options of {@link driftReport}. */
export interface DriftReportOptions {
  /** Reference data (CSV/Parquet/JSONL) or a profile written by {@link buildReferenceProfile}. */
  reference: string;
  current: string;
  /** Only these columns (the prediction and target are added). */
  columns?: string[] | undefined;
  prediction?: string | undefined;
  target?: string | undefined;
  /** Drifted-column share for dataset drift; default {@link DEFAULT_DRIFT_SHARE_THRESHOLD}. */
  threshold?: number | undefined;
  correction?: Correction | undefined;
  /** Significance level of the p-value tests; default {@link DEFAULT_ALPHA}. */
  alpha?: number | undefined;
  /** Per-column kind overrides (raw reference only; a profile fixes the kinds). */
  kinds?: Readonly<Record<string, ColumnKind>> | undefined;
  /** Per-column test overrides. */
  methods?: Readonly<Record<string, DriftMethod>> | undefined;
  signal?: AbortSignal | undefined;
}

/** True when the file is a saved drift profile (sniffed from its first bytes). */
export async function isProfileFile(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.alloc(256);
      const { bytesRead } = await handle.read(buf, 0, 256, 0);
      return looksLikeProfile(buf.subarray(0, bytesRead).toString('utf8'));
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE';
    throw new BulwarkError(code, `${path}: cannot read (${(err as Error).message})`, { cause: err });
  }
}

function wanted(options: { columns?: string[] | undefined; prediction?: string | undefined; target?: string | undefined }): string[] | undefined {
  if (options.columns === undefined) return undefined;
  return [...new Set([...options.columns, ...(options.prediction ? [options.prediction] : []), ...(options.target ? [options.target] : [])])];
}

/** Options of {@link buildReferenceProfile}. */
export interface BuildReferenceProfileOptions {
  reference: string;
  columns?: string[] | undefined;
  kinds?: Readonly<Record<string, ColumnKind>> | undefined;
  settings?: Partial<ProfileSettings> | undefined;
  signal?: AbortSignal | undefined;
}

/** Reads reference data and summarises it as a profile (write it with `serialiseProfile`). */
export async function buildReferenceProfile(options: BuildReferenceProfileOptions): Promise<DriftProfile> {
  const [dataset, sha256] = await Promise.all([
    readDataset({ path: options.reference, columns: options.columns, kinds: options.kinds, signal: options.signal }),
    datasetSha256(options.reference),
  ]);
  return profileFromDataset({ dataset, name: options.reference, sha256, settings: options.settings ?? {} });
}

const fmt = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? 'n/a' : Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(4));

/** Compares current data with a reference (see module comment). */
export async function driftReport(options: DriftReportOptions): Promise<DriftReport> {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const threshold = options.threshold ?? DEFAULT_DRIFT_SHARE_THRESHOLD;
  const correction = options.correction ?? DEFAULT_CORRECTION;
  if (!(threshold > 0 && threshold <= 1)) throw new BulwarkError('USAGE', `--threshold must be in (0, 1], got ${threshold}`);
  if (!(alpha > 0 && alpha < 1)) throw new BulwarkError('USAGE', `alpha must be in (0, 1), got ${alpha}`);
  const cols = wanted(options);
  let profile: DriftProfile;
  let refData: RawDataset | undefined;
  const refIsProfile = await isProfileFile(options.reference);
  const [refSha, curSha] = await Promise.all([datasetSha256(options.reference), datasetSha256(options.current)]);
  if (refIsProfile) {
    profile = await readProfile(options.reference);
    if (cols) {
      const have = new Set(profile.columns.map((c) => c.name));
      const missing = cols.filter((c) => !have.has(c));
      if (missing.length > 0) throw new BulwarkError('USAGE', `${options.reference}: the profile has no column(s) ${missing.join(', ')}`);
      profile = { ...profile, columns: profile.columns.filter((c) => cols.includes(c.name)) };
    }
  } else {
    refData = await readDataset({ path: options.reference, columns: cols, kinds: options.kinds, signal: options.signal });
    profile = profileFromDataset({ dataset: refData, name: options.reference, sha256: refSha });
  }
  for (const role of [options.prediction, options.target]) {
    if (role !== undefined && !profile.columns.some((c) => c.name === role)) throw new BulwarkError('USAGE', `${options.reference}: no column "${role}"`);
  }
  const kinds = Object.fromEntries(profile.columns.map((c) => [c.name, c.kind]));
  const current = await readDataset({ path: options.current, columns: profile.columns.map((c) => c.name), kinds, signal: options.signal });
  const curByName = new Map(current.columns.map((c) => [c.name, c]));
  const refByName = new Map((refData?.columns ?? []).map((c) => [c.name, c]));
  const results: ColumnDriftResult[] = [];
  for (const refCol of profile.columns) {
    const curCol = curByName.get(refCol.name);
    if (!curCol) continue;
    const raw = refByName.get(refCol.name);
    const role = refCol.name === options.prediction ? 'prediction' : refCol.name === options.target ? 'target' : 'feature';
    results.push(
      compareColumn({
        reference: refCol,
        referenceSorted: raw?.values && isNumericKind(refCol.kind) ? sortedValues(raw.values) : undefined,
        current: curCol,
        role,
        method: options.methods?.[refCol.name],
        alpha,
      }),
    );
  }
  applyCorrection(results, correction, alpha);
  const testedColumns = results.filter((r) => r.method !== 'none');
  const drifted = testedColumns.filter((r) => r.drifted);
  const share = testedColumns.length > 0 ? drifted.length / testedColumns.length : 0;
  const datasetDrift = testedColumns.length > 0 && share >= threshold;
  const details: DriftDetails = { columns: results, threshold, correction, alpha, datasetDrift };
  const refName = options.reference;
  const curName = options.current;
  const drafts: FindingDraft[] = [];
  for (const r of drifted) {
    const p = r.adjustedPValue ?? r.pValue;
    const how = hasPValue(r.method) ? `${r.method} p=${fmt(p)} < ${r.threshold}` : `${r.method} ${fmt(r.statistic)} ≥ ${r.threshold}`;
    const evidence: Record<string, string | number | boolean> = { column: r.column, kind: r.kind, method: r.method, statistic: r.statistic, threshold: r.threshold, psi: r.psi, n_reference: r.n.reference, n_current: r.n.current };
    if (p !== undefined) evidence.p_value = p;
    drafts.push({
      ruleId: r.role === 'prediction' ? 'BW-DRF-004' : 'BW-DRF-001',
      message: `${r.role === 'prediction' ? 'prediction ' : ''}column "${r.column}" (${r.kind}) drifted: ${how} (PSI ${fmt(r.psi)}, unseen ${(r.unseenShare * 100).toFixed(1)}%)`,
      location: { uri: curName, pointer: `/columns/${r.column}` },
      evidence,
      key: `${r.role}:${r.column}`,
    });
  }
  if (datasetDrift) {
    drafts.push({
      ruleId: 'BW-DRF-002',
      message: `dataset drift: ${drifted.length} of ${testedColumns.length} columns drifted (${(share * 100).toFixed(1)}% ≥ ${(threshold * 100).toFixed(0)}%${correction === 'none' ? '' : `, ${correction} correction`})`,
      location: { uri: curName },
      evidence: { drifted_columns: drifted.length, columns: testedColumns.length, drifted_share: share, threshold },
      key: 'dataset',
    });
  }
  if (profile.pca) {
    const m = pcaDrift(profile.pca, current);
    if (m) {
      details.multivariate = { method: 'pca-reconstruction', error: m.error, lower: m.lower, upper: m.upper, drifted: m.drifted, components: profile.pca.components.length, columns: profile.pca.columns };
      if (m.drifted) {
        drafts.push({
          ruleId: 'BW-DRF-003',
          message: `multivariate drift: PCA reconstruction error ${fmt(m.error)} outside the reference bounds [${fmt(m.lower)}, ${fmt(m.upper)}] (${profile.pca.components.length} components over ${profile.pca.columns.length} columns)`,
          location: { uri: curName },
          evidence: { error: m.error, lower: m.lower, upper: m.upper, rows: m.rows },
          key: 'pca',
        });
      }
    }
  }
  let hcRef = Number.NaN;
  let hcCur = Number.NaN;
  if (options.prediction !== undefined) {
    const refCol = profile.columns.find((c) => c.name === options.prediction);
    const curCol = curByName.get(options.prediction);
    const hc = refCol?.numeric?.highConfidence;
    if (refCol && hc && curCol?.values) {
      // One pass (no sort): the non-missing count and whether every value is a score in [0, 1].
      const values = curCol.values;
      let n = 0;
      let outside = false;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (Number.isNaN(v)) continue;
        n++;
        if (v < 0 || v > 1) outside = true;
      }
      if (!outside && n > 0) {
        // NaN (missing) fails the threshold comparison, so it is not counted.
        const curHigh = countHighConfidence(values, hc.threshold);
        hcRef = hc.count / refCol.count;
        hcCur = curHigh / n;
        const z = twoProportionZ(hc.count, refCol.count, curHigh, n);
        const anomalous = (z.pValue ?? 1) < alpha;
        details.prediction = { column: options.prediction, highConfidenceShare: { reference: hcRef, current: hcCur }, threshold: hc.threshold, zStatistic: z.statistic, pValue: z.pValue ?? 1, anomalous };
        if (anomalous) {
          drafts.push({
            ruleId: 'BW-DRF-004',
            message: `confidence anomaly in "${options.prediction}": ${(hcCur * 100).toFixed(1)}% of predictions have confidence ≥ ${hc.threshold} vs ${(hcRef * 100).toFixed(1)}% in the reference (z=${fmt(z.statistic)}, p=${fmt(z.pValue)})`,
            location: { uri: curName, pointer: `/columns/${options.prediction}` },
            evidence: { column: options.prediction, high_confidence_share_ref: hcRef, high_confidence_share_cur: hcCur, z: z.statistic, p_value: z.pValue ?? 1 },
            key: `confidence:${options.prediction}`,
          });
        }
      }
    }
  }
  const severities = new Map<string, Severity>(DRIFT_RULES.map((r) => [r.id, r.severity]));
  const findings = finaliseFindings(drafts, (id) => severities.get(id) ?? 'medium').sort(compareFindings);
  const predictionDrift = drafts.some((d) => d.ruleId === 'BW-DRF-004');
  const metrics: Record<string, number> = {
    columns: testedColumns.length,
    drifted_columns: drifted.length,
    drifted_share: share,
    dataset_drift: datasetDrift ? 1 : 0,
    multivariate_drift: details.multivariate?.drifted ? 1 : 0,
    prediction_drift: predictionDrift ? 1 : 0,
    rows_reference: profile.source.rows,
    rows_current: current.rows,
    max_psi: Math.max(0, ...testedColumns.map((r) => (Number.isNaN(r.psi) ? 0 : r.psi))),
  };
  if (!Number.isNaN(hcRef)) {
    metrics.high_confidence_share_ref = hcRef;
    metrics.high_confidence_share_cur = hcCur;
  }
  if (details.multivariate) metrics.pca_reconstruction_error = details.multivariate.error;
  return {
    schemaVersion: 1,
    kind: 'drift',
    tool: { name: 'bulwark', version: VERSION },
    target: curName,
    subjects: [
      { name: refName, digest: { sha256: refSha } },
      { name: curName, digest: { sha256: curSha } },
    ],
    rules: [...DRIFT_RULES],
    findings,
    metrics,
    errors: [],
    skipped: current.skipped.map((s) => ({ uri: `${curName}#${s.column}`, reason: s.reason })),
    complete: true,
    drift: details,
  };
}

/**
 * `suggestSuite`: an expectation suite from a TRUSTED dataset's profile, in the spirit of Deequ's
 * constraint suggestion (Schelter et al., VLDB 2018): completeness with a `mostly` just under what
 * was observed, ranges with a margin, categorical sets for low-cardinality columns, uniqueness for
 * unique columns, string lengths and types. Every expectation carries a note saying why.
 */
import { profileDataset, type ColumnProfile, type DatasetProfile, type ProfileDatasetOptions } from './profile.js';
import { isNumericKind } from './source.js';
import type { Expectation, ExpectationSuite } from './suite.js';

/** Knobs of the suggestion heuristics. */
export interface SuggestOptions {
  /** Numeric ranges are widened by this fraction of the observed range on each side. */
  readonly rangeMargin: number;
  /** Completeness `mostly` is the observed non-null fraction minus this. */
  readonly completenessSlack: number;
  /** A column is categorical with at most this many distinct values... */
  readonly categoricalMaxDistinct: number;
  /** ...and at most this ratio of distinct values to non-null values. */
  readonly categoricalMaxRatio: number;
  /** Row count bounds are observed / factor and observed * factor. */
  readonly rowCountFactor: number;
  /** Maximum text length allowed is the observed maximum times this. */
  readonly lengthFactor: number;
  /** The label column: adds a label-balance expectation. */
  readonly label?: string;
}

/** Default suggestion heuristics. */
export const DEFAULT_SUGGEST_OPTIONS: SuggestOptions = {
  rangeMargin: 0.1,
  completenessSlack: 0.01,
  categoricalMaxDistinct: 20,
  categoricalMaxRatio: 0.2,
  rowCountFactor: 2,
  lengthFactor: 1.5,
};

function floor3(n: number): number {
  return Math.floor(n * 1000) / 1000;
}

function suggestColumn(c: ColumnProfile, rows: number, o: SuggestOptions, out: Expectation[]): void {
  const nonNull = rows - c.nulls;
  if (c.nulls === 0 && rows > 0) {
    out.push({ type: 'not_null', column: c.name, note: `${c.name}: no nulls in ${rows} trusted rows` });
  } else if (c.nullFraction < 0.5 && rows > 0) {
    const mostly = Math.max(0, floor3(1 - c.nullFraction - o.completenessSlack));
    out.push({ type: 'not_null', column: c.name, mostly, note: `${c.name}: ${(c.nullFraction * 100).toFixed(2)}% nulls observed; allow a little more` });
  }
  if (nonNull === 0) return;
  if (c.unique === true && rows > 1) {
    out.push({ type: 'unique', columns: [c.name], note: `${c.name}: every one of ${rows} values is distinct (a key?)` });
  }
  const categorical = c.top !== undefined && !c.distinctApprox && c.distinct <= o.categoricalMaxDistinct && c.distinct / nonNull <= o.categoricalMaxRatio && c.top.length === c.distinct;
  if (categorical && c.top) {
    const values = c.top.map((t) => (isNumericKind(c.kind) ? Number(t.value) : t.value)).sort((a, b) => String(a).localeCompare(String(b)));
    out.push({ type: 'in_set', column: c.name, values, note: `${c.name}: categorical, ${c.distinct} distinct values in ${nonNull} non-null rows` });
  }
  if (isNumericKind(c.kind) && c.min !== undefined && c.max !== undefined && !categorical) {
    const span = c.max - c.min;
    const margin = span === 0 ? Math.abs(c.max) * o.rangeMargin || 1 : span * o.rangeMargin;
    let min = c.min - margin;
    let max = c.max + margin;
    // Keep the sign a trusted dataset shows: a non-negative column stays non-negative (Deequ does the same).
    if (c.min >= 0) min = Math.max(0, min);
    if (c.kind === 'integer') {
      min = Math.floor(min);
      max = Math.ceil(max);
    } else {
      min = Number(min.toPrecision(6));
      max = Number(max.toPrecision(6));
    }
    out.push({ type: 'between', column: c.name, min, max, note: `${c.name}: observed range [${c.min}, ${c.max}], widened by ${o.rangeMargin * 100}% of the range` });
  }
  if (c.kind === 'text' && c.maxLength !== undefined && c.minLength !== undefined && !categorical) {
    const max = Math.max(1, Math.ceil(c.maxLength * o.lengthFactor));
    out.push({ type: 'length_between', column: c.name, min: c.minLength > 0 ? 1 : 0, max, note: `${c.name}: lengths ${c.minLength}–${c.maxLength} observed; at most ${o.lengthFactor}x the longest` });
  }
  if (c.kind === 'text' && c.parseable && !categorical) {
    if (c.parseable.number === 1) out.push({ type: 'parseable', column: c.name, as: 'number', note: `${c.name}: text, but every value is a number` });
    else if (c.parseable.date === 1) out.push({ type: 'parseable', column: c.name, as: 'date', note: `${c.name}: text, but every value is an ISO date` });
    else if (c.parseable.json === 1) out.push({ type: 'parseable', column: c.name, as: 'json', note: `${c.name}: every value is a JSON document` });
  }
}

/** Suggests a suite from a profile (pure). */
export function suggestFromProfile(profile: DatasetProfile, options: Partial<SuggestOptions> = {}): ExpectationSuite {
  const o: SuggestOptions = { ...DEFAULT_SUGGEST_OPTIONS, ...options };
  const expectations: Expectation[] = [
    {
      type: 'columns',
      columns: profile.columns.map((c) => ({ name: c.name, kind: c.kind })),
      note: `the trusted dataset's ${profile.columns.length} columns and their types; no others`,
    },
    {
      type: 'row_count',
      min: Math.floor(profile.rows / o.rowCountFactor),
      max: Math.ceil(profile.rows * o.rowCountFactor),
      note: `${profile.rows} rows in the trusted dataset; flag a batch ${o.rowCountFactor}x smaller or larger`,
    },
  ];
  for (const c of profile.columns) suggestColumn(c, profile.rows, o, expectations);
  if (o.label !== undefined) {
    const c = profile.columns.find((col) => col.name === o.label);
    if (c?.top && c.top.length > 1) {
      const total = c.top.reduce((s, t) => s + t.count, 0);
      const minFraction = Math.min(...c.top.map((t) => t.count)) / total;
      expectations.push({ type: 'label_balance', column: c.name, min_fraction: floor3(minFraction / 2), note: `${c.name}: smallest class holds ${(minFraction * 100).toFixed(2)}%; flag if it halves` });
    }
  }
  return { version: 1, name: `suggested from ${profile.subject.name} (sha256 ${profile.subject.digest.sha256.slice(0, 12)})`, expectations };
}

/** Profiles a trusted dataset and suggests a suite for it. */
export async function suggestSuite(options: ProfileDatasetOptions & { readonly suggest?: Partial<SuggestOptions> }): Promise<ExpectationSuite> {
  const profile = await profileDataset(options);
  return suggestFromProfile(profile, options.suggest);
}

/**
 * Expectation suites: the YAML file `bulwark data suggest` writes and `bulwark data validate --suite`
 * reads. Validated with zod (strict objects: an unknown expectation type or field is an error naming
 * the file, the line and the field path). The catalogue follows Great Expectations' core expectations
 * and Deequ's constraints; see docs/data.md for each type.
 */
import { readFile } from 'node:fs/promises';
import { Document, isNode, LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { BulwarkError } from '../errors.js';
import { COMPARE_OPERATORS, type CompareOperator } from './plan.js';

const column = z.string().min(1);
/** Fraction of non-null values that must satisfy the expectation (Great Expectations' `mostly`). */
const mostly = z.number().min(0).max(1).optional();
const finite = z.number().finite();
const note = z.string().optional();

const columnsExp = z.strictObject({
  type: z.literal('columns'),
  columns: z.array(z.strictObject({ name: column, kind: z.enum(['integer', 'float', 'decimal', 'boolean', 'text', 'date', 'timestamp', 'other']).optional() })).min(1),
  allow_extra: z.boolean().optional(),
  note,
});
const rowCountExp = z.strictObject({ type: z.literal('row_count'), min: finite.int().min(0).optional(), max: finite.int().min(0).optional(), note });
const notNullExp = z.strictObject({ type: z.literal('not_null'), column, mostly, note });
const betweenExp = z.strictObject({ type: z.literal('between'), column, min: finite.optional(), max: finite.optional(), mostly, note });
const inSetExp = z.strictObject({ type: z.literal('in_set'), column, values: z.array(z.union([z.string(), finite, z.boolean()])).max(10_000), mostly, note });
const regexExp = z.strictObject({ type: z.literal('regex'), column, pattern: z.string().min(1).max(2000), case_insensitive: z.boolean().optional(), mostly, note });
const lengthExp = z.strictObject({ type: z.literal('length_between'), column, min: finite.int().min(0).optional(), max: finite.int().min(0).optional(), mostly, note });
const parseableExp = z.strictObject({ type: z.literal('parseable'), column, as: z.enum(['number', 'date', 'json']), mostly, note });
const uniqueExp = z.strictObject({ type: z.literal('unique'), columns: z.array(column).min(1).max(32), note });
const aggregateExp = z.strictObject({
  type: z.literal('aggregate_between'),
  column,
  stat: z.enum(['mean', 'std', 'min', 'max', 'quantile', 'distinct_count']),
  q: z.number().min(0).max(1).optional(),
  min: finite.optional(),
  max: finite.optional(),
  note,
});
const compareExp = z.strictObject({
  type: z.literal('compare'),
  left: column,
  operator: z.enum(COMPARE_OPERATORS as [CompareOperator, ...CompareOperator[]]),
  right: column,
  mostly,
  note,
});
const labelBalanceExp = z.strictObject({
  type: z.literal('label_balance'),
  column,
  /** Every class holds at least this fraction of the non-null labels. */
  min_fraction: z.number().min(0).max(1).optional(),
  /** The largest class is at most this many times the smallest. */
  max_ratio: z.number().min(1).optional(),
  note,
});
const sqlExp = z.strictObject({
  type: z.literal('sql'),
  name: z.string().min(1).max(200),
  /** One SELECT over the relation `dataset` returning the UNEXPECTED rows. */
  query: z.string().min(1).max(20_000),
  max_rows: finite.int().min(0).optional(),
  note,
});

/** One expectation (the YAML object). */
export const EXPECTATION_SCHEMA = z.discriminatedUnion('type', [
  columnsExp,
  rowCountExp,
  notNullExp,
  betweenExp,
  inSetExp,
  regexExp,
  lengthExp,
  parseableExp,
  uniqueExp,
  aggregateExp,
  compareExp,
  labelBalanceExp,
  sqlExp,
]);

/** An expectation suite file. */
export const SUITE_SCHEMA = z.strictObject({
  version: z.literal(1),
  name: z.string().min(1).max(200).optional(),
  expectations: z.array(EXPECTATION_SCHEMA).max(10_000),
});

/** One expectation. */
export type Expectation = z.infer<typeof EXPECTATION_SCHEMA>;
/** The expectation type names. */
export type ExpectationType = Expectation['type'];
/** An expectation suite. */
export type ExpectationSuite = z.infer<typeof SUITE_SCHEMA>;

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc === '' ? String(p) : `${acc}.${String(p)}`), '');
}

/**
 * Parses and validates suite YAML. Errors are CONFIG_INVALID naming `file`, the line and the field
 * path (`expectations[2].mostly`) and what was expected.
 */
export function parseSuite(text: string, file = 'suite'): ExpectationSuite {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e?.linePos?.[0];
    throw new BulwarkError('CONFIG_INVALID', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: not valid YAML (${e?.message.split('\n')[0] ?? 'parse error'})`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // The yaml package throws a ReferenceError for an alias without an anchor, and an error for
    // alias bombs: both are the file's fault, not ours.
    throw new BulwarkError('CONFIG_INVALID', `${file}: not valid YAML (${(err as Error).message.split('\n')[0] ?? 'bad alias'})`, { cause: err });
  }
  const result = SUITE_SCHEMA.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  // Point at the deepest node that exists for the failing path.
  let line = '';
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = doc.getIn(path.slice(0, n) as (string | number)[], true);
    if (isNode(node) && (node as Node).range) {
      line = `:${lineCounter.linePos((node as Node).range?.[0] ?? 0).line}`;
      break;
    }
  }
  const field = pathText(path);
  let extra = '';
  if (issue?.code === 'unrecognized_keys') extra = ` (unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')})`;
  if (issue?.code === 'invalid_union' && path[path.length - 1] === 'type') extra = ` (expected one of: ${EXPECTATION_SCHEMA.options.map((o) => o.shape.type.value).join(', ')})`;
  throw new BulwarkError('CONFIG_INVALID', `${file}${line}: invalid expectation suite at ${field === '' ? '(root)' : field}: ${issue?.message ?? 'invalid'}${extra}`);
}

/** Reads and validates a suite file. */
export async function loadSuite(path: string): Promise<ExpectationSuite> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BulwarkError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${path}: cannot read the expectation suite (${(err as Error).message})`, { cause: err });
  }
  return parseSuite(text, path);
}

/**
 * Renders a suite as YAML. Each expectation's `note` (why it was suggested) becomes a comment above
 * it rather than a field, so the file reads like a reviewed config.
 */
export function renderSuiteYaml(suite: ExpectationSuite): string {
  const body = {
    version: suite.version,
    ...(suite.name !== undefined ? { name: suite.name } : {}),
    expectations: suite.expectations.map((e) => Object.fromEntries(Object.entries(e).filter(([k, v]) => k !== 'note' && v !== undefined))),
  };
  const doc = new Document(body);
  doc.commentBefore = ' Bulwark expectation suite (bulwark data validate --suite FILE). Review before trusting it.';
  const seq = doc.get('expectations', true) as { items: Node[] } | undefined;
  suite.expectations.forEach((e, i) => {
    const item = seq?.items[i];
    if (item && e.note !== undefined) item.commentBefore = ` ${e.note.replaceAll('\n', ' ')}`;
  });
  return doc.toString({ lineWidth: 0 });
}

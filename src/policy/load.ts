import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { BulwarkError } from '../errors.js';
import { SEVERITIES, type Severity } from '../report/types.js';
import { compileCel } from './cel.js';
import { evidenceKeyOf } from './document.js';
import type { CompiledRule, Policy, PolicySpec } from './types.js';

/** Defaults of a policy file's optional fields. */
export const DEFAULT_POLICY = Object.freeze({
  failOn: 'high' as const,
  require: [] as readonly string[],
  allowIncomplete: false,
  ruleSeverity: 'high',
});

/** Largest policy file accepted (bytes). */
export const MAX_POLICY_BYTES = 1024 * 1024;

const DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD').refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a calendar date');
const ID = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'expected an id of letters, digits, ".", "_" and "-"');
const SEVERITY = z.enum(SEVERITIES as [Severity, ...Severity[]]);
const MAPPING_LIST = z.array(z.string().min(1).max(200)).max(100).default([]);

const POLICY_SCHEMA = z.strictObject({
  version: z.literal(1),
  failOn: z.union([SEVERITY, z.literal('none')]).default(DEFAULT_POLICY.failOn),
  require: z.array(z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'expected an evidence kind such as scan, signature, data, drift, deps, bom')).max(100).default([]),
  allow: z
    .array(
      z.strictObject({
        ruleId: z.string().min(1).max(200),
        fingerprint: z.string().min(1).max(200).optional(),
        path: z.string().min(1).max(8192).optional(),
        reason: z.string().trim().min(1, 'every allow entry needs a reason').max(2000),
        expires: DATE,
      }),
    )
    .max(10_000)
    .default([]),
  allowIncomplete: z.boolean().default(DEFAULT_POLICY.allowIncomplete),
  rules: z
    .array(
      z.strictObject({
        id: ID,
        description: z.string().trim().min(1).max(2000),
        when: z.string().min(1).max(10_000).optional(),
        expr: z.string().min(1).max(10_000),
        severity: SEVERITY.default(DEFAULT_POLICY.ruleSeverity),
        mappings: z
          .strictObject({ nistAiRmf: MAPPING_LIST, owaspMl: MAPPING_LIST, owaspLlm: MAPPING_LIST, atlas: MAPPING_LIST })
          .default({ nistAiRmf: [], owaspMl: [], owaspLlm: [], atlas: [] }),
      }),
    )
    .max(1000)
    .default([]),
});

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc === '' ? String(p) : `${acc}.${String(p)}`), '');
}

/**
 * Parses, validates and compiles a policy (docs/policy.md). Errors are CONFIG_INVALID naming
 * `source`, the line and the field path (`rules[2].expr`, with the rule id for CEL problems).
 * Every CEL expression is parsed and checked against the evidence document's shape here, so a
 * typo fails the load rather than the gate.
 */
export function loadPolicy(text: string, source = 'policy'): Policy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e?.linePos?.[0];
    throw new BulwarkError('CONFIG_INVALID', `${source}${pos ? `:${pos.line}:${pos.col}` : ''}: not valid YAML (${e?.message.split('\n')[0] ?? 'parse error'})`);
  }
  const lineOf = (path: readonly (string | number)[]): string => {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && (node as Node).range) return `:${lineCounter.linePos((node as Node).range?.[0] ?? 0).line}`;
    }
    return '';
  };
  let raw: unknown;
  try {
    // toJS throws for what the parser accepts but cannot resolve (an alias to an unknown anchor, `*x`; alias bombs).
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new BulwarkError('CONFIG_INVALID', `${source}: not valid YAML (${(err as Error).message.split('\n')[0] ?? 'unresolvable'})`, { cause: err });
  }
  const result = POLICY_SCHEMA.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = (issue?.path ?? []) as (string | number)[];
    const field = pathText(path);
    const extra = issue?.code === 'unrecognized_keys' ? ` (unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')})` : '';
    throw new BulwarkError('CONFIG_INVALID', `${source}${lineOf(path)}: invalid policy at ${field === '' ? '(root)' : field}: ${issue?.message ?? 'invalid'}${extra}`);
  }
  const spec: PolicySpec = result.data;
  const required = [...new Set(spec.require.map(evidenceKeyOf))];
  const seen = new Set<string>();
  const rules: CompiledRule[] = spec.rules.map((r, i) => {
    if (seen.has(r.id)) throw new BulwarkError('CONFIG_INVALID', `${source}${lineOf(['rules', i, 'id'])}: rules[${i}].id: duplicate rule id ${r.id}`);
    seen.add(r.id);
    const compile = (field: 'when' | 'expr', expr: string): ReturnType<typeof compileCel> & { ok: true } => {
      const c = compileCel(expr, required);
      if (!c.ok) throw new BulwarkError('CONFIG_INVALID', `${source}${lineOf(['rules', i, field])}: rule ${r.id} (rules[${i}].${field}): ${c.error}`);
      return c;
    };
    const when = r.when === undefined ? undefined : compile('when', r.when).value;
    const expr = compile('expr', r.expr).value;
    return { ...r, evalWhen: when?.evaluate, evalExpr: expr.evaluate, reads: expr.reads };
  });
  return {
    version: 1,
    failOn: spec.failOn,
    require: required,
    allow: spec.allow,
    allowIncomplete: spec.allowIncomplete,
    rules,
    source,
    digest: createHash('sha256').update(text).digest('hex'),
  };
}

/** Reads and loads a policy file (bounded size); FILE_NOT_FOUND / FILE_UNREADABLE / CONFIG_INVALID. */
export async function loadPolicyFile(path: string): Promise<Policy> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BulwarkError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${path}: cannot read the policy (${(err as Error).message})`, { cause: err });
  }
  if (buf.length > MAX_POLICY_BYTES) throw new BulwarkError('LIMIT_EXCEEDED', `${path}: the policy is ${buf.length} bytes, over ${MAX_POLICY_BYTES}`);
  return loadPolicy(buf.toString('utf8'), path);
}

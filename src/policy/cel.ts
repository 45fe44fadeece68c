import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { SEVERITIES } from '../report/types.js';
import { ATTESTATION_FIELDS, COMMON_EVIDENCE_FIELDS, ERROR_FIELDS, EXTRA_EVIDENCE_FIELDS, FINDING_FIELDS, KNOWN_EVIDENCE_KEYS, SUBJECT_FIELDS } from './document.js';
import type { CelOutcome } from './types.js';

type Expr = ReturnType<typeof parse>['expr'];

/** Longest CEL expression accepted (characters): policies are short; a huge one is a mistake or an attack. */
export const MAX_CEL_LENGTH = 10_000;

/**
 * What a sub-expression is known to be, for the load-time check. @bufbuild/cel 0.6 does not export
 * its type checker, so Bulwark checks what matters for typos against the evidence document's
 * shape (docs/policy.md): root identifiers, entry fields, finding/error/subject fields and
 * function names. Anything it cannot know (map values, macro results) is `unknown` and left to
 * evaluation, where an error fails closed.
 */
type Shape =
  | { t: 'entry'; key: string }
  | { t: 'attestations' }
  | { t: 'list'; of: 'finding' | 'error' | 'subject' | 'string' }
  | { t: 'finding' }
  | { t: 'error' }
  | { t: 'subject' }
  | { t: 'counts' }
  | { t: 'unknown' };

/** Operators and macro internals the parser emits that are not ordinary functions of the resolver. */
const BUILTIN_OPERATORS = new Set(['_&&_', '_||_', '_?_:_', '_[_]', '_[?_]', '_?._', '@not_strictly_false', 'not_strictly_false']);

const ENV = celEnv({});

function fieldShape(owner: Shape, field: string): Shape | string {
  switch (owner.t) {
    case 'entry': {
      const fields = [...COMMON_EVIDENCE_FIELDS, ...(EXTRA_EVIDENCE_FIELDS[owner.key] ?? [])];
      if (!fields.includes(field)) return `${owner.key} has no field "${field}" (fields: ${fields.join(', ')})`;
      switch (field) {
        case 'findings':
        case 'allowedFindings':
          return { t: 'list', of: 'finding' };
        case 'errors':
          return { t: 'list', of: 'error' };
        case 'subjects':
          return { t: 'list', of: 'subject' };
        case 'targets':
        case 'signers':
        case 'contentSha256':
        case 'schemaSha256':
          return { t: 'list', of: 'string' };
        case 'counts':
          return { t: 'counts' };
        default:
          return { t: 'unknown' };
      }
    }
    case 'attestations':
      return ATTESTATION_FIELDS.includes(field) ? { t: 'unknown' } : `attestations has no field "${field}" (fields: ${ATTESTATION_FIELDS.join(', ')})`;
    case 'finding':
      return FINDING_FIELDS.includes(field) ? { t: 'unknown' } : `a finding has no field "${field}" (fields: ${FINDING_FIELDS.join(', ')})`;
    case 'error':
      return ERROR_FIELDS.includes(field) ? { t: 'unknown' } : `an error has no field "${field}" (fields: ${ERROR_FIELDS.join(', ')})`;
    case 'subject':
      return SUBJECT_FIELDS.includes(field) ? { t: 'unknown' } : `a subject has no field "${field}" (fields: ${SUBJECT_FIELDS.join(', ')})`;
    case 'counts':
      return (SEVERITIES as readonly string[]).includes(field) ? { t: 'unknown' } : `counts has no severity "${field}" (${SEVERITIES.join(', ')})`;
    case 'list':
      return `a list has no field "${field}"`;
    case 'unknown':
      return { t: 'unknown' };
    default: {
      const never: never = owner;
      return String(never);
    }
  }
}

class CheckError extends Error {}

/** Walks the parsed expression; throws CheckError with the first problem; returns the root keys read. */
function checkExpr(root: Expr, roots: ReadonlySet<string>): string[] {
  const reads = new Set<string>();
  const walk = (e: Expr, scope: ReadonlyMap<string, Shape>): Shape => {
    const k = e.exprKind;
    switch (k.case) {
      case undefined:
      case 'constExpr':
        return { t: 'unknown' };
      case 'identExpr': {
        const name = k.value.name;
        const local = scope.get(name);
        if (local) return local;
        if (name === 'attestations') return { t: 'attestations' };
        if (roots.has(name)) {
          reads.add(name);
          return { t: 'entry', key: name };
        }
        throw new CheckError(`unknown name "${name}" (evidence keys: ${[...roots].sort().join(', ')}, attestations)`);
      }
      case 'selectExpr': {
        const owner = k.value.operand ? walk(k.value.operand, scope) : ({ t: 'unknown' } as Shape);
        const s = fieldShape(owner, k.value.field);
        if (typeof s === 'string') {
          // has(x.f) on a map is fine; on a known shape a misspelt field is still a typo.
          throw new CheckError(s);
        }
        return s;
      }
      case 'callExpr': {
        const fn = k.value.function;
        if (!BUILTIN_OPERATORS.has(fn) && !ENV.funcs.find(fn)) throw new CheckError(`unknown function "${fn}"`);
        if (k.value.target) walk(k.value.target, scope);
        for (const a of k.value.args) walk(a, scope);
        return { t: 'unknown' };
      }
      case 'listExpr':
        for (const el of k.value.elements) walk(el, scope);
        return { t: 'unknown' };
      case 'structExpr':
        for (const en of k.value.entries) {
          if (en.keyKind.case === 'mapKey') walk(en.keyKind.value, scope);
          if (en.value) walk(en.value, scope);
        }
        return { t: 'unknown' };
      case 'comprehensionExpr': {
        const c = k.value;
        const range = c.iterRange ? walk(c.iterRange, scope) : ({ t: 'unknown' } as Shape);
        let item: Shape = { t: 'unknown' };
        if (range.t === 'list') {
          switch (range.of) {
            case 'finding':
              item = { t: 'finding' };
              break;
            case 'error':
              item = { t: 'error' };
              break;
            case 'subject':
              item = { t: 'subject' };
              break;
            case 'string':
              break;
            default: {
              const never: never = range.of;
              throw new CheckError(String(never));
            }
          }
        }
        const inner = new Map(scope);
        if (c.accuInit) walk(c.accuInit, scope);
        inner.set(c.accuVar, { t: 'unknown' });
        inner.set(c.iterVar, item);
        if (c.iterVar2) inner.set(c.iterVar2, { t: 'unknown' });
        for (const part of [c.loopCondition, c.loopStep, c.result]) if (part) walk(part, inner);
        return { t: 'unknown' };
      }
      default: {
        const never: never = k;
        throw new CheckError(`unsupported expression ${String(never)}`);
      }
    }
  };
  walk(root, new Map());
  return [...reads].sort();
}

/** A compiled CEL boolean expression. */
export interface CompiledCel {
  evaluate: (doc: Record<string, unknown>) => CelOutcome;
  /** Evidence keys it reads. */
  reads: string[];
}

/**
 * Parses, checks and plans a CEL expression once (at policy load time). Returns the problem as a
 * string (the caller names the file and rule) rather than throwing.
 */
export function compileCel(source: string, extraRoots: readonly string[]): { ok: true; value: CompiledCel } | { ok: false; error: string } {
  if (source.length > MAX_CEL_LENGTH) return { ok: false, error: `the expression is ${source.length} characters, over ${MAX_CEL_LENGTH}` };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (err) {
    return { ok: false, error: `syntax error: ${(err as Error).message}` };
  }
  let reads: string[];
  try {
    reads = checkExpr(parsed.expr, new Set([...KNOWN_EVIDENCE_KEYS, ...extraRoots]));
  } catch (err) {
    if (err instanceof CheckError) return { ok: false, error: err.message };
    throw err;
  }
  let fn: (ctx?: Record<string, unknown>) => unknown;
  try {
    fn = plan(ENV, parsed) as (ctx?: Record<string, unknown>) => unknown;
  } catch (err) {
    return { ok: false, error: `cannot plan: ${(err as Error).message}` };
  }
  const evaluate = (doc: Record<string, unknown>): CelOutcome => {
    let r: unknown;
    try {
      r = fn(doc);
    } catch (err) {
      return { ok: false, error: `evaluation failed: ${(err as Error).message}`, nonBoolean: false };
    }
    if (isCelError(r)) return { ok: false, error: r.message, nonBoolean: false };
    if (typeof r !== 'boolean') return { ok: false, error: `the expression gave ${describeValue(r)}, not a bool`, nonBoolean: true };
    return { ok: true, value: r };
  };
  return { ok: true, value: { evaluate, reads } };
}

function describeValue(v: unknown): string {
  if (typeof v === 'bigint') return `the int ${v}`;
  if (typeof v === 'number') return `the double ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 80))}`;
  if (v === null) return 'null';
  return `a ${typeof v === 'object' ? 'list or map' : typeof v}`;
}

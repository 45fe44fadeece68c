import type { GlobalImport, Invocation, PickleFacts, PickleStream } from '../../formats/pickle/index.js';
import type { FindingDraft } from '../../report/types.js';
import { DESERIALISATION_TAGS, defineRuleMeta, locationIn } from '../meta.js';
import type { Rule, RuleContext } from '../types.js';
import type { CallableVerdict } from './callable-policy.js';

function fullName(g: GlobalImport): string {
  return `${g.module}.${g.name}`;
}

function rawNote(g: GlobalImport): string {
  if (g.rawModule === undefined && g.rawName === undefined) return '';
  return ` (written as ${g.rawModule ?? g.module}.${g.rawName ?? g.name}, which Python maps to it)`;
}

/** The invocation that calls the import at `g.offset`, if any (one pass per stream). */
function callsByImport(stream: PickleStream): Map<number, Invocation> {
  const m = new Map<number, Invocation>();
  for (const inv of stream.invocations) {
    if (inv.callable.kind === 'global' && !m.has(inv.callable.importOffset)) m.set(inv.callable.importOffset, inv);
  }
  return m;
}

interface JudgedImport {
  g: GlobalImport;
  stream: PickleStream;
  verdict: CallableVerdict;
  call: Invocation | undefined;
  count: number;
}

/** Each distinct global of the source once (first occurrence), with its verdict and first call. */
function judgedImports(facts: PickleFacts, ctx: RuleContext): JudgedImport[] {
  const byName = new Map<string, JudgedImport>();
  for (const stream of facts.streams) {
    const calls = callsByImport(stream);
    for (const g of stream.globals) {
      const key = fullName(g);
      const seen = byName.get(key);
      if (seen) {
        seen.count += 1;
        seen.call ??= calls.get(g.offset);
        continue;
      }
      byName.set(key, { g, stream, verdict: ctx.callables.judge(g.module, g.name), call: calls.get(g.offset), count: 1 });
    }
  }
  return [...byName.values()];
}

function callNote(call: Invocation | undefined): string {
  if (!call) return 'imported (not called directly, but reachable by later opcodes)';
  const args = call.argsPreview !== undefined ? ` with ${call.argsPreview}` : '';
  return `called by ${call.opcode} at offset ${call.offset}${args}`;
}

function streamNote(s: PickleStream): string {
  switch (s.origin) {
    case 'primary':
      return '';
    case 'appended':
      return ` in a pickle appended at offset ${s.start}`;
    case 'joblib-inline':
      return ` in a joblib inline pickle at offset ${s.start}`;
    case 'nested-bytes':
      return ` in a pickle nested in a bytes constant at offset ${s.start}`;
    default: {
      const never: never = s.origin;
      return never;
    }
  }
}

/** BW-PKL-001: a denied callable is imported. */
export const dangerousGlobalRule: Rule<PickleFacts> = {
  meta: defineRuleMeta('BW-PKL-001', 'pickle/dangerous-global', 'Pickle imports a callable that can execute code', 'critical', DESERIALISATION_TAGS),
  appliesTo: 'pickle',
  *check(facts, ctx) {
    for (const j of judgedImports(facts, ctx)) {
      if (j.verdict.verdict !== 'deny') continue;
      const name = fullName(j.g);
      const d: FindingDraft = {
        ruleId: 'BW-PKL-001',
        message: `${name}${rawNote(j.g)} is ${callNote(j.call)}${streamNote(j.stream)}: ${j.verdict.reason} (matches ${j.verdict.matched}). Loading this file runs it.`,
        location: locationIn(ctx, j.g.offset),
        evidence: { global: name, opcode: j.g.opcode, reason: j.verdict.reason, occurrences: j.count },
        key: name,
      };
      if (j.call?.argsPreview !== undefined && d.evidence) d.evidence.args = j.call.argsPreview;
      yield d;
    }
  },
};

/** BW-PKL-002: a global on neither list. */
export const unknownGlobalRule: Rule<PickleFacts> = {
  meta: defineRuleMeta('BW-PKL-002', 'pickle/unknown-global', 'Pickle imports a callable that is not on the allow-list', 'medium', DESERIALISATION_TAGS),
  appliesTo: 'pickle',
  *check(facts, ctx) {
    for (const j of judgedImports(facts, ctx)) {
      if (j.verdict.verdict !== 'unknown') continue;
      const name = fullName(j.g);
      yield {
        ruleId: 'BW-PKL-002',
        message: `${name}${rawNote(j.g)} is ${callNote(j.call)}${streamNote(j.stream)}; it is on neither the allow-list nor the deny-list. Review it, then allow it in the config (allow: ["${name}"]) if it is expected.`,
        location: locationIn(ctx, j.g.offset),
        evidence: { global: name, opcode: j.g.opcode, occurrences: j.count },
        key: name,
      };
    }
  },
};

/** BW-PKL-003: STACK_GLOBAL with operands computed at load time. */
export const dynamicImportRule: Rule<PickleFacts> = {
  meta: defineRuleMeta('BW-PKL-003', 'pickle/dynamic-import', 'Pickle imports a callable whose name is computed at load time', 'critical', DESERIALISATION_TAGS),
  appliesTo: 'pickle',
  *check(facts, ctx) {
    for (const s of facts.streams) {
      for (const d of s.dynamicImports) {
        yield {
          ruleId: 'BW-PKL-003',
          message: `STACK_GLOBAL at offset ${d.offset}${streamNote(s)} imports a callable whose name is only known at load time (${d.description}); static review cannot tell what runs.`,
          location: locationIn(ctx, d.offset),
          evidence: { operands: d.description },
          key: d.description,
        };
      }
    }
  },
};

/** BW-PKL-004: copyreg extension codes. */
export const extensionCodeRule: Rule<PickleFacts> = {
  meta: defineRuleMeta('BW-PKL-004', 'pickle/extension-code', 'Pickle calls a copyreg extension code', 'high', DESERIALISATION_TAGS),
  appliesTo: 'pickle',
  *check(facts, ctx) {
    for (const s of facts.streams) {
      for (const inv of s.invocations) {
        if (inv.callable.kind !== 'extension') continue;
        yield {
          ruleId: 'BW-PKL-004',
          message: `${inv.opcode} at offset ${inv.offset}${streamNote(s)} calls the callable registered as copyreg extension code ${inv.callable.code}; the file does not say what that is (no standard registration exists), so the loader's environment decides what runs.`,
          location: locationIn(ctx, inv.offset),
          evidence: { code: inv.callable.code, opcode: inv.opcode },
          key: String(inv.callable.code),
        };
      }
    }
  },
};

/** Pickles at the head of a PyTorch legacy file: magic number, protocol, sys_info, object, storage keys. */
const LEGACY_PICKLE_COUNT = 5;

/** BW-PKL-005: a stream that ends without STOP. */
export const malformedRule: Rule<PickleFacts> = {
  meta: defineRuleMeta('BW-PKL-005', 'pickle/malformed', 'Pickle stream is malformed or truncated', 'medium', ['cwe-502', 'owasp-ml06']),
  appliesTo: 'pickle',
  *check(facts, ctx) {
    for (const [i, s] of facts.streams.entries()) {
      if (!s.error || s.error.kind === 'limit') continue;
      // PyTorch's legacy format is five pickles then raw storage bytes, which torch never unpickles:
      // raw bytes that merely look like a pickle header there are data, unless they import something.
      if (ctx.container === 'pytorch-legacy' && i >= LEGACY_PICKLE_COUNT && s.globals.length === 0) continue;
      yield {
        ruleId: 'BW-PKL-005',
        message: `Pickle${streamNote(s)} is ${s.error.kind} at offset ${s.error.offset}: ${s.error.message}. Python's unpickler runs every opcode before the break, so the globals found up to here are judged; scanners that reject broken pickles miss them.`,
        location: locationIn(ctx, s.error.offset),
        evidence: { kind: s.error.kind, opcodes: s.opcodeCount },
        key: `${s.start}`,
      };
    }
  },
};

/** BW-PKL-006: more than one pickle in a plain pickle file. */
export const appendedStreamRule: Rule<PickleFacts> = {
  meta: defineRuleMeta('BW-PKL-006', 'pickle/appended-stream', 'More than one pickle in a plain pickle file', 'medium', DESERIALISATION_TAGS),
  appliesTo: 'pickle',
  *check(facts, ctx) {
    if (ctx.container !== 'plain') return;
    const appended = facts.streams.filter((s) => s.origin === 'appended');
    const first = appended[0];
    if (!first) return;
    yield {
      ruleId: 'BW-PKL-006',
      message: `${appended.length} more pickle stream(s) follow the first STOP (the first at offset ${first.start}). A plain pickle holds one; loaders that read in a loop (and PyTorch's legacy loader) run the rest, while scanners that stop at STOP never see them.`,
      location: locationIn(ctx, first.start),
      evidence: { streams: facts.streams.length },
      key: 'appended',
    };
  },
};

/** The pickle rules, in id order. */
export const PICKLE_RULES = [
  dangerousGlobalRule,
  unknownGlobalRule,
  dynamicImportRule,
  extensionCodeRule,
  malformedRule,
  appendedStreamRule,
] as const;

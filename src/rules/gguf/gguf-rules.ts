import type { ChatTemplateHazard, ChatTemplateHazardKind } from '../../formats/jinja/index.js';
import type { GgufChatTemplate, GgufFacts, GgufProblem, GgufProblemKind } from '../../formats/gguf/index.js';
import type { FindingDraft, Location, Severity } from '../../report/types.js';
import { defineRuleMeta } from '../meta.js';
import type { Rule, RuleContext } from '../types.js';

/** Structural tags: improper validation, uncontrolled allocation, out-of-bounds read. */
const MALFORMED_TAGS = ['cwe-20', 'cwe-789', 'cwe-125', 'owasp-ml06', 'atlas:AML.T0010'];
/** Template injection tags: SSTI (CWE-1336), code injection, ML supply chain. */
const TEMPLATE_TAGS = ['cwe-1336', 'cwe-94', 'owasp-ml06', 'atlas:AML.T0010', 'atlas:AML.T0011'];

function at(ctx: RuleContext, offset: number, pointer?: string): Location {
  const loc: Location = { uri: ctx.uri, offset };
  if (ctx.member !== undefined) loc.member = ctx.member;
  if (pointer !== undefined) loc.pointer = pointer;
  return loc;
}

/** How bad each structural problem is. */
function problemSeverity(kind: GgufProblemKind): Severity {
  switch (kind) {
    // Counts and lengths beyond the file or the bounds, overflowing sizes, data out of bounds and
    // overlaps: the memory-exhaustion and over-read vectors of llama.cpp-style readers.
    case 'truncated':
    case 'exceeds-file':
    case 'exceeds-bound':
    case 'array-nesting':
    case 'bad-value-type':
    case 'too-many-dims':
    case 'bad-dim':
    case 'data-out-of-bounds':
    case 'tensor-overlap':
    case 'bad-alignment':
      return 'high';
    // Refused by llama.cpp or ambiguous, but not an over-read by themselves.
    case 'duplicate-key':
    case 'duplicate-tensor':
    case 'unknown-tensor-type':
    case 'block-misaligned':
    case 'offset-misaligned':
    case 'data-gap':
    case 'bad-string':
    case 'bad-bool':
      return 'medium';
    default: {
      const never: never = kind;
      throw new Error(`unhandled GGUF problem ${String(never)}`);
    }
  }
}

/** BW-GGF-001: the GGUF structure is malformed or exceeds the file or the bounds. */
export const malformedRule: Rule<GgufFacts> = {
  meta: defineRuleMeta('BW-GGF-001', 'gguf/malformed', 'GGUF structure is malformed or declares sizes beyond the file', 'high', MALFORMED_TAGS),
  appliesTo: 'gguf',
  *check(facts, ctx) {
    for (const p of facts.problems) {
      yield {
        ruleId: 'BW-GGF-001',
        severity: problemSeverity(p.kind),
        message: `GGUF v${facts.version} ${p.kind} at offset ${p.offset}: ${p.message}.${facts.complete ? '' : ' Parsing stopped here; the rest of the file was not analysed.'}`,
        location: at(ctx, p.offset),
        evidence: evidenceOf(p),
        key: `${p.kind}:${p.field}`,
      };
    }
  },
};

function evidenceOf(p: GgufProblem): Record<string, string | number> {
  return { problem: p.kind, field: p.field };
}

/** Why each hazard kind matters (the end of the finding message). */
function hazardWhy(kind: ChatTemplateHazardKind): string {
  switch (kind) {
    case 'dunder-name':
    case 'dunder-string':
      return 'dunder attributes walk from template objects to Python internals (classes, globals, builtins): the server-side template injection used against llama-cpp-python (CVE-2024-34359)';
    case 'constructed-dunder':
      return 'the dunder name is assembled from pieces, which only makes sense to evade review and sandboxes';
    case 'dangerous-attribute':
      return 'it reaches process execution or interpreter state from the template';
    case 'dangerous-call':
      return 'it calls a Python builtin that executes code, imports modules or reaches attributes by name';
    case 'dynamic-attribute':
      return 'the attr filter fetches an attribute whose name is computed when the template is rendered; benign chat templates never need it';
    case 'lexical-dunder':
      return 'a dunder (or a Python escape spelling underscores) appears inside a template tag that the JavaScript Jinja parser did not explain; Python Jinja may still run it';
    case 'lexical-dangerous':
      return 'a process, import or eval construct appears inside a template tag that the JavaScript Jinja parser did not explain; Python Jinja may still run it';
    default: {
      const never: never = kind;
      return String(never);
    }
  }
}

function hazardSeverity(kind: ChatTemplateHazardKind): Severity {
  switch (kind) {
    case 'dunder-name':
    case 'dunder-string':
    case 'constructed-dunder':
    case 'dangerous-attribute':
    case 'dangerous-call':
    case 'lexical-dunder':
      return 'critical';
    case 'dynamic-attribute':
    case 'lexical-dangerous':
      return 'high';
    default: {
      const never: never = kind;
      return never;
    }
  }
}

function templateFinding(t: GgufChatTemplate, h: ChatTemplateHazard, ctx: RuleContext): FindingDraft {
  const line = h.line === undefined ? '' : ` line ${h.line}`;
  const evidence: Record<string, string | number> = { key: t.key, hazard: h.kind, name: h.name, expression: h.expression, path: h.path };
  if (h.line !== undefined) evidence.line = h.line;
  return {
    ruleId: 'BW-GGF-002',
    severity: hazardSeverity(h.kind),
    message: `${t.key}${line} reaches ${h.name} in \`${h.expression}\` (${h.kind} at ${h.path}): ${hazardWhy(h.kind)}. Inference servers render this template for every request.`,
    location: at(ctx, t.offset, t.key),
    evidence,
    key: `${t.key}|${h.kind}|${h.name}|${h.path}`,
  };
}

/** BW-GGF-002: a chat template reaches Python internals, processes or dynamic attributes. */
export const chatTemplateInjectionRule: Rule<GgufFacts> = {
  meta: defineRuleMeta('BW-GGF-002', 'gguf/chat-template-injection', 'GGUF chat template reaches Python internals (template injection)', 'critical', TEMPLATE_TAGS),
  appliesTo: 'gguf',
  *check(facts, ctx) {
    for (const t of facts.chatTemplates) for (const h of t.analysis.hazards) yield templateFinding(t, h, ctx);
  },
};

/** BW-GGF-003: a chat template the Jinja parser cannot parse (or too large to parse). */
export const chatTemplateUnparsableRule: Rule<GgufFacts> = {
  meta: defineRuleMeta('BW-GGF-003', 'gguf/chat-template-unparsable', 'GGUF chat template cannot be parsed for review', 'medium', TEMPLATE_TAGS),
  appliesTo: 'gguf',
  *check(facts, ctx) {
    for (const t of facts.chatTemplates) {
      const why = t.analysis.parseError ?? (t.truncated ? `only the first bytes of ${t.byteLength} were kept` : t.analysis.incomplete ? 'the analysis stopped at a bound' : undefined);
      if (why === undefined) continue;
      yield {
        ruleId: 'BW-GGF-003',
        message: `${t.key} (${t.byteLength} bytes) could not be fully analysed: ${why}. Its tags were scanned lexically only, so an obfuscated payload could be missed; Python Jinja may accept what this parser rejects.`,
        location: at(ctx, t.offset, t.key),
        evidence: { key: t.key, error: why.slice(0, 200) },
        key: t.key,
      };
    }
  },
};

/** The GGUF rules, in id order. */
export const GGUF_RULES = [malformedRule, chatTemplateInjectionRule, chatTemplateUnparsableRule] as const;

import type { ChatTemplateHazard, ChatTemplateHazardKind } from '../../formats/jinja/index.js';
import type { FindingDraft, Severity } from '../../report/index.js';
import { defineRuleMeta, locationIn } from '../meta.js';
import type { ChatTemplateEntry, ChatTemplateFacts, Rule, RuleContext } from '../types.js';

/** Template injection tags: SSTI (CWE-1336), code injection, ML supply chain. */
const TEMPLATE_TAGS = ['cwe-1336', 'cwe-94', 'owasp-ml06', 'atlas:AML.T0010', 'atlas:AML.T0011'];

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

function templateFinding(t: ChatTemplateEntry, h: ChatTemplateHazard, ctx: RuleContext): FindingDraft {
  const line = h.line === undefined ? '' : ` line ${h.line}`;
  const evidence: Record<string, string | number> = { key: t.key, hazard: h.kind, name: h.name, expression: h.expression, path: h.path };
  if (h.line !== undefined) evidence.line = h.line;
  return {
    ruleId: 'BW-TPL-001',
    severity: hazardSeverity(h.kind),
    message: `${t.key}${line} reaches ${h.name} in \`${h.expression}\` (${h.kind} at ${h.path}): ${hazardWhy(h.kind)}. Inference servers render this template for every request.`,
    location: locationIn(ctx, t.offset, t.key),
    evidence,
    key: `${t.key}|${h.kind}|${h.name}|${h.path}`,
  };
}

/** BW-TPL-001: a chat template reaches Python internals, processes or dynamic attributes. */
export const chatTemplateInjectionRule: Rule<ChatTemplateFacts> = {
  meta: defineRuleMeta('BW-TPL-001', 'template/chat-template-injection', 'Chat template reaches Python internals (template injection)', 'critical', TEMPLATE_TAGS),
  appliesTo: 'chat-templates',
  *check(facts, ctx) {
    for (const t of facts.templates) for (const h of t.analysis.hazards) yield templateFinding(t, h, ctx);
  },
};

/** BW-TPL-002: a chat template the Jinja parser cannot parse (or too large to parse). */
export const chatTemplateUnparsableRule: Rule<ChatTemplateFacts> = {
  meta: defineRuleMeta('BW-TPL-002', 'template/chat-template-unparsable', 'Chat template cannot be parsed for review', 'medium', TEMPLATE_TAGS),
  appliesTo: 'chat-templates',
  *check(facts, ctx) {
    for (const t of facts.templates) {
      const why = t.analysis.parseError ?? (t.truncated ? `only the first bytes of ${t.byteLength} were kept` : t.analysis.incomplete ? 'the analysis stopped at a bound' : undefined);
      if (why === undefined) continue;
      yield {
        ruleId: 'BW-TPL-002',
        message: `${t.key} (${t.byteLength} bytes) could not be fully analysed: ${why}. Its tags were scanned lexically only, so an obfuscated payload could be missed; Python Jinja may accept what this parser rejects.`,
        location: locationIn(ctx, t.offset, t.key),
        evidence: { key: t.key, error: why.slice(0, 200) },
        key: t.key,
      };
    }
  },
};

/** The chat-template rules (GGUF metadata and tokenizer_config.json), in id order. */
export const TEMPLATE_RULES = [chatTemplateInjectionRule, chatTemplateUnparsableRule] as const;

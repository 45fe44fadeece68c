import type { SafetensorsFacts, SafetensorsViolation, SafetensorsViolationKind } from '../../formats/safetensors/index.js';
import type { FindingDraft, Severity } from '../../report/types.js';
import { defineRuleMeta, locationIn } from '../meta.js';
import type { Rule, RuleContext } from '../types.js';

/** Tags of the safetensors rules: improper input validation, resource exhaustion, ML supply chain. */
const SAFETENSORS_TAGS = ['cwe-20', 'cwe-400', 'owasp-ml06', 'atlas:AML.T0010'];

/** Which rule judges each violation kind, and at what severity. */
function ruleFor(kind: SafetensorsViolationKind): { ruleId: 'BW-SFT-001' | 'BW-SFT-002' | 'BW-SFT-003'; severity: Severity } {
  switch (kind) {
    case 'header-length':
    case 'header-encoding':
    case 'header-syntax':
    case 'header-not-object':
    case 'duplicate-key':
    case 'tensor-entry':
    case 'dtype':
    case 'shape':
    case 'offsets-form':
      return { ruleId: 'BW-SFT-001', severity: 'high' };
    case 'out-of-bounds':
    case 'overlap':
    case 'size-mismatch':
      return { ruleId: 'BW-SFT-002', severity: 'high' };
    case 'hole':
      // Unaccounted bytes are not an over-read, but the reference reader rejects them and they can
      // carry an appended payload (a polyglot), so they are worth a look, not an alarm.
      return { ruleId: 'BW-SFT-002', severity: 'medium' };
    case 'metadata':
      return { ruleId: 'BW-SFT-003', severity: 'medium' };
    default: {
      const never: never = kind;
      throw new Error(`unhandled safetensors violation ${String(never)}`);
    }
  }
}

function draft(v: SafetensorsViolation, ctx: RuleContext): FindingDraft {
  const { ruleId, severity } = ruleFor(v.kind);
  const location = locationIn(ctx, v.offset, v.pointer === '' ? undefined : v.pointer);
  return {
    ruleId,
    severity,
    message: `safetensors ${v.kind}: ${v.message}.`,
    location,
    evidence: { violation: v.kind, ...(v.pointer === '' ? {} : { pointer: v.pointer }) },
    key: `${v.kind}:${v.pointer}`,
  };
}

function violationRule(
  id: 'BW-SFT-001' | 'BW-SFT-002' | 'BW-SFT-003',
  name: string,
  title: string,
  severity: Severity,
): Rule<SafetensorsFacts> {
  return {
    meta: defineRuleMeta(id, name, title, severity, SAFETENSORS_TAGS),
    appliesTo: 'safetensors',
    *check(facts, ctx) {
      for (const v of facts.violations) if (ruleFor(v.kind).ruleId === id) yield draft(v, ctx);
    },
  };
}

/** BW-SFT-001: the header is not what the spec allows (length, UTF-8, JSON, duplicate keys, entry fields). */
export const headerInvalidRule = violationRule('BW-SFT-001', 'safetensors/header-invalid', 'safetensors header is malformed or ambiguous', 'high');

/** BW-SFT-002: tensors against the data buffer (out of bounds, overlapping, wrong size; holes at medium). */
export const tensorBoundsRule = violationRule('BW-SFT-002', 'safetensors/tensor-bounds', 'safetensors tensor offsets do not match the data buffer', 'high');

/** BW-SFT-003: `__metadata__` is not a map of strings to strings. */
export const metadataNotStringsRule = violationRule('BW-SFT-003', 'safetensors/metadata-not-strings', 'safetensors __metadata__ holds values that are not strings', 'medium');

/** The safetensors rules, in id order. */
export const SAFETENSORS_RULES = [headerInvalidRule, tensorBoundsRule, metadataNotStringsRule] as const;

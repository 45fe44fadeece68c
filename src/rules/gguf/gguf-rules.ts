import type { GgufFacts, GgufProblem, GgufProblemKind } from '../../formats/gguf/index.js';
import type { Severity } from '../../report/index.js';
import { defineRuleMeta, locationIn } from '../meta.js';
import type { Rule } from '../types.js';

/** Structural tags: improper validation, uncontrolled allocation, out-of-bounds read. */
const MALFORMED_TAGS = ['cwe-20', 'cwe-789', 'cwe-125', 'owasp-ml06', 'atlas:AML.T0010'];

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
        location: locationIn(ctx, p.offset),
        evidence: evidenceOf(p),
        key: `${p.kind}:${p.field}`,
      };
    }
  },
};

function evidenceOf(p: GgufProblem): Record<string, string | number> {
  return { problem: p.kind, field: p.field };
}

/** The GGUF rules, in id order. */
export const GGUF_RULES = [malformedRule] as const;

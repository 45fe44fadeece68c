import type { KerasLayer, TensorflowFacts, TfKerasMetadataFacts, TfNode, TfOpUse } from '../../formats/tensorflow/index.js';
import type { FindingDraft, Severity } from '../../report/types.js';
import { defineRuleMeta, DESERIALISATION_TAGS, locationIn } from '../meta.js';
import type { Rule, RuleContext } from '../types.js';
import { TF_RISKY_OPS, conditionalReason, type TfOpRisk } from './tf-ops.js';

function nodeText(n: TfNode): string {
  const inputs = n.inputs
    .map((i, k) => {
      const lit = n.inputLiterals[k];
      return lit === undefined ? i : `${i}="${lit}"`;
    })
    .join(', ');
  return `"${n.name}" in ${n.scope === 'graph' ? 'the main graph' : n.scope}${inputs ? ` (inputs: ${inputs})` : ''}`;
}

function evidence(use: TfOpUse, n: TfNode): Record<string, string | number | boolean> {
  const ev: Record<string, string | number | boolean> = { op: use.op, node: n.name, scope: n.scope, count: use.count };
  const lit = n.inputLiterals.find((l) => l !== undefined);
  if (lit !== undefined) ev.literal = lit;
  return ev;
}

interface Judged {
  use: TfOpUse;
  node: TfNode;
  risk: TfOpRisk;
  category: 'python-callback' | 'file-read' | 'file-write' | 'network' | 'checkpoint-io';
  detail: string | undefined;
}

/** Every example node whose op is risky in its context, once per (op, node). */
function judgeOps(facts: TensorflowFacts): Judged[] {
  const out: Judged[] = [];
  for (const use of facts.ops) {
    const risk = TF_RISKY_OPS.get(use.op);
    if (!risk) continue;
    for (const node of use.examples) {
      switch (risk.category) {
        case 'checkpoint-io':
          // Every SavedModel carries a saver that saves and restores its variables: only checkpoint
          // ops outside it are judged.
          if (!node.saverContext) out.push({ use, node, risk, category: 'checkpoint-io', detail: undefined });
          break;
        case 'conditional': {
          const c = conditionalReason(use.op, node.attrs);
          if (c) out.push({ use, node, risk, category: c.category, detail: c.detail });
          break;
        }
        case 'python-callback':
        case 'file-read':
        case 'file-write':
        case 'network':
          out.push({ use, node, risk, category: risk.category, detail: undefined });
          break;
        default: {
          const never: never = risk.category;
          throw new Error(`unhandled category ${String(never)}`);
        }
      }
    }
  }
  return out;
}

function opFinding(ruleId: string, j: Judged, facts: TensorflowFacts, ctx: RuleContext, severity: Severity): FindingDraft {
  const where = j.category === 'checkpoint-io' ? " outside the model's checkpoint saver" : '';
  const more = j.use.count > 1 ? ` (${j.use.count} ${j.use.op} node(s) in this file)` : '';
  const detail = j.detail !== undefined ? ` with ${j.detail}` : '';
  const kind = facts.container === 'saved-model' ? 'SavedModel' : 'GraphDef';
  const ev = evidence(j.use, j.node);
  if (j.detail !== undefined) ev.detail = j.detail;
  return {
    ruleId,
    severity,
    message: `${j.use.op} node ${nodeText(j.node)}${detail}${where}${more}: it ${j.risk.why}. Running this ${kind}'s signatures or functions executes it on the serving host.`,
    location: locationIn(ctx, j.node.offset, j.node.scope),
    evidence: ev,
    key: `${j.use.op}|${j.node.scope}|${j.node.name}`,
  };
}

/** BW-TFS-001: Python callback ops. */
export const pythonCallbackOpRule: Rule<TensorflowFacts> = {
  meta: defineRuleMeta('BW-TFS-001', 'tensorflow/python-callback-op', 'TensorFlow graph calls back into Python (PyFunc)', 'critical', DESERIALISATION_TAGS),
  appliesTo: 'tensorflow',
  *check(facts, ctx) {
    for (const j of judgeOps(facts)) if (j.category === 'python-callback') yield opFinding('BW-TFS-001', j, facts, ctx, j.risk.severity);
  },
};

/** BW-TFS-002: ops that read or write files (checkpoint ops only outside the saver). */
export const fileSystemOpRule: Rule<TensorflowFacts> = {
  meta: defineRuleMeta('BW-TFS-002', 'tensorflow/file-system-op', 'TensorFlow graph reads or writes files', 'high', ['cwe-73', 'cwe-22', 'owasp-ml06', 'atlas:AML.T0010']),
  appliesTo: 'tensorflow',
  *check(facts, ctx) {
    for (const j of judgeOps(facts)) {
      if (j.category === 'file-read' || j.category === 'file-write' || j.category === 'checkpoint-io') yield opFinding('BW-TFS-002', j, facts, ctx, j.risk.severity);
    }
  },
};

/** BW-TFS-003: ops that open network connections. */
export const networkOpRule: Rule<TensorflowFacts> = {
  meta: defineRuleMeta('BW-TFS-003', 'tensorflow/network-op', 'TensorFlow graph opens network connections', 'high', ['cwe-918', 'owasp-ml06', 'atlas:AML.T0010']),
  appliesTo: 'tensorflow',
  *check(facts, ctx) {
    for (const j of judgeOps(facts)) if (j.category === 'network') yield opFinding('BW-TFS-003', j, facts, ctx, 'high');
  },
};

/** BW-TFS-004: broken protobuf, or no graph at all. */
export const malformedTensorflowRule: Rule<TensorflowFacts> = {
  meta: defineRuleMeta('BW-TFS-004', 'tensorflow/malformed', 'TensorFlow graph file is malformed or truncated', 'medium', ['cwe-20', 'owasp-ml06']),
  appliesTo: 'tensorflow',
  *check(facts, ctx) {
    if (!facts.error) return;
    yield {
      ruleId: 'BW-TFS-004',
      message: `${facts.error.message}. TensorFlow rejects the file, but the ${facts.nodeCount} node(s) read before offset ${facts.error.offset} were still judged; a scanner that gives up on broken files can be blinded by appending garbage.`,
      location: locationIn(ctx, facts.error.offset),
      evidence: { nodes: facts.nodeCount, functions: facts.functionCount },
      key: 'malformed',
    };
  },
};

/** Keras' own packages: objects from anywhere else are custom code. */
const KERAS_MODULES = /^(keras|tf_keras|tensorflow|tensorflow_hub|tensorflow_text)(\.|$)/;

function layerLabel(l: KerasLayer): string {
  return `"${l.name ?? l.className}" (${l.className}) at ${l.path || 'root'}${l.pointer ? ` ${l.pointer}` : ''}`;
}

/** BW-TFS-005: a Lambda layer in keras_metadata.pb. */
export const kerasLambdaRule: Rule<TfKerasMetadataFacts> = {
  meta: defineRuleMeta('BW-TFS-005', 'tensorflow/keras-lambda-layer', 'Keras SavedModel metadata holds a Lambda layer', 'critical', DESERIALISATION_TAGS),
  appliesTo: 'tf-keras-metadata',
  *check(facts, ctx) {
    const seen = new Set<string>();
    for (const l of facts.layers) {
      if (l.className !== 'Lambda') continue;
      const key = `${l.path}|${l.name ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const how =
        l.functionType === 'function'
          ? `names the function to call by module${l.functionModule !== undefined ? ` ("${l.functionModule}")` : ''}, which Keras imports`
          : 'stores its function as marshalled Python bytecode, which Keras unmarshals and runs';
      const ev: Record<string, string | number | boolean> = { layer: l.name ?? '', path: l.path };
      if (l.functionType !== undefined) ev.functionType = l.functionType;
      if (l.functionModule !== undefined) ev.module = l.functionModule;
      yield {
        ruleId: 'BW-TFS-005',
        message: `Lambda layer ${layerLabel(l)} ${how} when the model is loaded with tf.keras.models.load_model (safe_mode does not cover SavedModel metadata in Keras 2). That is arbitrary code execution on load.`,
        location: locationIn(ctx, l.offset, l.pointer),
        evidence: ev,
        key,
      };
    }
  },
};

/** BW-TFS-006: objects from outside Keras (custom layers, registered objects). */
export const kerasCustomObjectRule: Rule<TfKerasMetadataFacts> = {
  meta: defineRuleMeta('BW-TFS-006', 'tensorflow/keras-custom-object', 'Keras SavedModel metadata references custom code', 'medium', DESERIALISATION_TAGS),
  appliesTo: 'tf-keras-metadata',
  *check(facts, ctx) {
    // The same object appears in the model's config and as its own node: report it once, from
    // the record that says the most (the one with a module).
    const byName = new Map<string, KerasLayer>();
    for (const l of facts.layers) {
      const custom =
        (l.module !== undefined && !KERAS_MODULES.test(l.module)) ||
        l.className.includes('>') ||
        (l.registeredName !== undefined && l.registeredName.includes('>'));
      if (!custom) continue;
      const key = l.registeredName ?? l.className;
      const seen = byName.get(key);
      if (seen === undefined || (seen.module === undefined && l.module !== undefined)) byName.set(key, l);
    }
    for (const [key, l] of byName) {
      const ev: Record<string, string | number | boolean> = { className: l.className };
      if (l.module !== undefined) ev.module = l.module;
      if (l.registeredName !== undefined) ev.registeredName = l.registeredName;
      yield {
        ruleId: 'BW-TFS-006',
        message: `Object ${layerLabel(l)}${l.module !== undefined ? ` from module "${l.module}"` : ''} is not a Keras built-in: loading the model imports or looks up that code (custom_objects / register_keras_serializable), so the model is only as safe as the package that provides it.`,
        location: locationIn(ctx, l.offset, l.pointer),
        evidence: ev,
        key,
      };
    }
    for (const b of facts.badJson) {
      yield {
        ruleId: 'BW-TFS-006',
        message: `Metadata of object ${b.path || '?'} is not readable JSON (${b.message}); its layers could not be checked.`,
        location: locationIn(ctx, b.offset),
        key: `bad-json|${b.offset}`,
      };
    }
    if (facts.error) {
      yield {
        ruleId: 'BW-TFS-006',
        message: `${facts.error.message}; the layers after offset ${facts.error.offset} could not be checked.`,
        location: locationIn(ctx, facts.error.offset),
        key: 'malformed',
      };
    }
  },
};

/** The TensorFlow rules over graphs (`tensorflow` facts), in id order. */
export const TENSORFLOW_RULES = [pythonCallbackOpRule, fileSystemOpRule, networkOpRule, malformedTensorflowRule] as const;

/** The rules over keras_metadata.pb (`tf-keras-metadata` facts), in id order. */
export const TF_KERAS_METADATA_RULES = [kerasLambdaRule, kerasCustomObjectRule] as const;

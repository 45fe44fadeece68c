import type { ExternalLocationIssue, OnnxFacts, OnnxTensor } from '../../formats/onnx/index.js';
import type { Severity } from '../../report/types.js';
import { defineRuleMeta, locationIn } from '../meta.js';
import type { Rule } from '../types.js';

function tensorLabel(t: OnnxTensor): string {
  return `${t.origin} "${t.name}" in ${t.graph}`;
}

function issueText(issue: ExternalLocationIssue): string {
  switch (issue) {
    case 'empty':
      return 'is empty (resolves to the model directory itself)';
    case 'absolute':
      return 'is an absolute path';
    case 'parent-segment':
      return 'climbs out of the model directory with ".."';
    case 'windows-drive':
      return 'names a Windows drive';
    case 'unc':
      return 'is a UNC path (Windows fetches it over SMB, leaking NTLM credentials)';
    case 'nul-byte':
      return 'contains a NUL byte (C loaders cut the path there)';
    case 'url':
      return 'is a URL';
    case 'home-relative':
      return 'starts with "~"';
    case 'symlink':
      return 'is a symbolic link beside the model (the loader follows it wherever it points)';
    case 'escapes-directory':
      return 'resolves outside the model directory';
    default: {
      const never: never = issue;
      return never;
    }
  }
}

/** The standard ONNX operator domains ('' is ai.onnx): implemented by every conformant runtime. */
export const STANDARD_ONNX_DOMAINS: readonly string[] = ['', 'ai.onnx', 'ai.onnx.ml', 'ai.onnx.training', 'ai.onnx.preview.training'];

/**
 * ONNX Runtime's contrib domains: operators compiled into onnxruntime itself (no library is loaded
 * for them), so they tie the model to ONNX Runtime but add no native code of the model's choosing.
 */
export const ONNXRUNTIME_CONTRIB_DOMAINS: readonly string[] = ['com.microsoft', 'com.microsoft.nchwc', 'com.microsoft.experimental', 'com.ms.internal.nhwc', 'com.microsoft.dml'];

/** BW-ONX-001: an external-data location that leaves the model directory. */
export const externalDataTraversalRule: Rule<OnnxFacts> = {
  meta: defineRuleMeta('BW-ONX-001', 'onnx/external-data-path-traversal', 'ONNX external data points outside the model directory', 'critical', [
    'cwe-22',
    'cwe-59',
    'owasp-ml06',
    'atlas:AML.T0010',
  ]),
  appliesTo: 'onnx',
  *check(facts, ctx) {
    for (const t of facts.tensors) {
      const ext = t.external;
      if (ext?.location === undefined || ext.locationIssues.length === 0) continue;
      const why = ext.locationIssues.map(issueText).join('; ');
      yield {
        ruleId: 'BW-ONX-001',
        message: `Tensor ${tensorLabel(t)} stores its data externally at location "${ext.location}", which ${why}. Loading the model reads that file into the tensor (onnx.load, older ONNX Runtime), so a model can exfiltrate any file the loading process can read into its weights or outputs (CVE-2024-27318/27319).`,
        location: locationIn(ctx, t.offset, t.graph),
        evidence: { tensor: t.name, location: ext.location, issues: ext.locationIssues.join(',') },
        key: `${t.graph}|${t.name}|${ext.location}`,
      };
    }
  },
};

/** BW-ONX-002: operators from domains no standard runtime implements. */
export const customOperatorRule: Rule<OnnxFacts> = {
  meta: defineRuleMeta('BW-ONX-002', 'onnx/custom-operator-domain', 'ONNX model uses operators from a non-standard domain', 'medium', [
    'cwe-829',
    'owasp-ml06',
    'atlas:AML.T0010',
  ]),
  appliesTo: 'onnx',
  *check(facts, ctx) {
    for (const op of facts.operators) {
      if (STANDARD_ONNX_DOMAINS.includes(op.domain) || op.localFunction) continue;
      const contrib = ONNXRUNTIME_CONTRIB_DOMAINS.includes(op.domain);
      const severity: Severity = contrib ? 'low' : 'medium';
      const where = `${op.count} node(s), first "${op.node}" in ${op.graph}`;
      const message = contrib
        ? `Operator ${op.domain}::${op.opType} (${where}) is an ONNX Runtime contrib operator: built into onnxruntime (no library is loaded for it), but the model only runs there and on runtimes that copy it.`
        : `Operator ${op.domain}::${op.opType} (${where}) is from a custom domain with no local function defining it: it only runs after a native custom-operator library is registered (SessionOptions.register_custom_ops_library), so deploying this model means loading native code that ships with it. Check where that library comes from.`;
      yield {
        ruleId: 'BW-ONX-002',
        severity,
        message,
        location: locationIn(ctx, op.offset, op.graph),
        evidence: { domain: op.domain, opType: op.opType, count: op.count },
        key: `${op.domain}::${op.opType}`,
      };
    }
  },
};

/** One size inconsistency of a tensor, or undefined. */
function sizeProblem(t: OnnxTensor): { what: string; severity: Severity } | undefined {
  const exp = t.expectedBytes;
  const dims = `[${t.dims.join(', ')}]`;
  if (t.external !== undefined) {
    const ext = t.external;
    if (ext.location === undefined) return { what: `has data_location EXTERNAL but no "location" entry`, severity: 'medium' };
    if (Number.isNaN(ext.offset) || Number.isNaN(ext.length)) return { what: `has an external offset or length that is not a non-negative integer`, severity: 'medium' };
    if (ext.length !== undefined && exp !== undefined && ext.length !== exp) {
      return { what: `declares external length ${ext.length} bytes but dims ${dims} of data type ${t.dataType} need ${exp}`, severity: 'medium' };
    }
    if (ext.file.status === 'found') {
      const end = (ext.offset ?? 0) + (ext.length ?? exp ?? 0);
      if (end > ext.file.size) {
        return { what: `reads bytes ${ext.offset ?? 0}..${end} of "${ext.location}", which is only ${ext.file.size} bytes long`, severity: 'medium' };
      }
    }
    if (ext.file.status === 'missing') return { what: `names external file "${ext.location}", which is not beside the model (it will not load)`, severity: 'low' };
    return undefined;
  }
  if (exp === undefined) return undefined;
  if (t.rawDataLength !== undefined && t.rawDataLength !== exp) {
    return { what: `has ${t.rawDataLength} bytes of raw_data but dims ${dims} of data type ${t.dataType} need ${exp}`, severity: 'medium' };
  }
  if (t.rawDataLength === undefined && t.typedDataBytes !== undefined && (t.dataType === 1 || t.dataType === 11) && t.typedDataBytes !== exp) {
    return { what: `has ${t.typedDataBytes} bytes of ${t.dataType === 1 ? 'float_data' : 'double_data'} but dims ${dims} need ${exp}`, severity: 'medium' };
  }
  return undefined;
}

/** BW-ONX-003: tensor data that does not match its declared shape, or external ranges past their file. */
export const tensorSizeRule: Rule<OnnxFacts> = {
  meta: defineRuleMeta('BW-ONX-003', 'onnx/tensor-size-mismatch', 'ONNX tensor data does not match its shape', 'medium', ['cwe-787', 'cwe-125', 'owasp-ml06']),
  appliesTo: 'onnx',
  *check(facts, ctx) {
    for (const t of facts.tensors) {
      const p = sizeProblem(t);
      if (!p) continue;
      yield {
        ruleId: 'BW-ONX-003',
        severity: p.severity,
        message: `Tensor ${tensorLabel(t)} ${p.what}. Runtimes that trust the declared shape read or write past the buffer (out-of-bounds access in kernels and loaders); a well-formed exporter never writes this.`,
        location: locationIn(ctx, t.offset, t.graph),
        evidence: { tensor: t.name, dataType: t.dataType, dims: t.dims.join('x') },
        key: `${t.graph}|${t.name}`,
      };
    }
  },
};

/** BW-ONX-004: the protobuf is broken or the model has no graph. */
export const malformedOnnxRule: Rule<OnnxFacts> = {
  meta: defineRuleMeta('BW-ONX-004', 'onnx/malformed', 'ONNX model is malformed or truncated', 'medium', ['cwe-20', 'owasp-ml06']),
  appliesTo: 'onnx',
  *check(facts, ctx) {
    if (!facts.error) return;
    yield {
      ruleId: 'BW-ONX-004',
      message: `${facts.error.message}. ONNX loaders reject the file, but what came before offset ${facts.error.offset} (${facts.nodeCount} node(s), ${facts.tensorCount} tensor(s)) was still judged; a lenient reader may accept it, and a scanner that gives up here would miss it.`,
      location: locationIn(ctx, facts.error.offset),
      evidence: { nodes: facts.nodeCount, tensors: facts.tensorCount },
      key: 'malformed',
    };
  },
};

/** The ONNX rules, in id order. */
export const ONNX_RULES = [externalDataTraversalRule, customOperatorRule, tensorSizeRule, malformedOnnxRule] as const;

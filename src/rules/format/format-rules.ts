import { defineRuleMeta, locationIn } from '../meta.js';
import type { FileFacts, Rule } from '../types.js';

/**
 * What each extension promises. `safe` extensions name formats that cannot execute code on load;
 * finding executable content behind one is how payloads get past extension-based scanners.
 */
export const EXTENSION_FORMATS: Readonly<Record<string, { formats: readonly string[]; safe: boolean }>> = {
  '.safetensors': { formats: ['safetensors'], safe: true },
  '.gguf': { formats: ['gguf'], safe: true },
  '.onnx': { formats: ['onnx', 'unknown'], safe: true },
  '.npy': { formats: ['npy'], safe: true },
  '.json': { formats: ['unknown'], safe: true },
  '.txt': { formats: ['unknown'], safe: true },
  '.h5': { formats: ['hdf5'], safe: false },
  '.hdf5': { formats: ['hdf5'], safe: false },
  '.npz': { formats: ['zip'], safe: false },
  '.keras': { formats: ['zip'], safe: false },
  '.pkl': { formats: ['pickle', 'gzip', 'zlib'], safe: false },
  '.pickle': { formats: ['pickle'], safe: false },
  '.joblib': { formats: ['pickle', 'zlib', 'gzip', 'bzip2', 'xz', 'lz4'], safe: false },
  '.pt': { formats: ['zip', 'pickle', 'tar'], safe: false },
  '.pth': { formats: ['zip', 'pickle', 'tar'], safe: false },
  '.ckpt': { formats: ['zip', 'pickle', 'tar'], safe: false },
};

/** BW-FMT-001: content and extension disagree. */
export const extensionMismatchRule: Rule<FileFacts> = {
  meta: defineRuleMeta('BW-FMT-001', 'format/extension-mismatch', 'File content does not match its extension', 'high', ['cwe-434', 'cwe-502', 'owasp-ml06']),
  appliesTo: 'file',
  *check(facts, ctx) {
    const promise = EXTENSION_FORMATS[facts.extension];
    if (!promise || promise.formats.includes(facts.detected)) return;
    const danger = facts.executable && promise.safe;
    yield {
      ruleId: 'BW-FMT-001',
      severity: danger ? 'high' : 'medium',
      message: danger
        ? `Named ${facts.extension}, a format that cannot run code, but the content is ${facts.detected}, which runs code when loaded. Tools that trust the extension skip it.`
        : `Named ${facts.extension} (expected ${promise.formats.join(' or ')}) but the content is ${facts.detected}.`,
      location: locationIn(ctx),
      evidence: { extension: facts.extension, detected: facts.detected },
      key: `${facts.extension}:${facts.detected}`,
    };
  },
};

/** The format rules. */
export const FORMAT_RULES = [extensionMismatchRule] as const;

import { ARCHIVE_RULES } from './archive/archive-rules.js';
import { FORMAT_RULES } from './format/format-rules.js';
import { NUMPY_RULES } from './numpy/numpy-rules.js';
import { PICKLE_RULES } from './pickle/pickle-rules.js';
import { REPO_RULES } from './repo/repo-rules.js';
import { GGUF_RULES } from './gguf/gguf-rules.js';
import { KERAS_RULES } from './keras/keras-rules.js';
import { ONNX_RULES } from './onnx/onnx-rules.js';
import { SAFETENSORS_RULES } from './safetensors/safetensors-rules.js';
import { TENSORFLOW_RULES, TF_KERAS_METADATA_RULES } from './tensorflow/tensorflow-rules.js';
import { TEMPLATE_RULES } from './template/template-rules.js';
import type { AnyRule } from './types.js';

export type { ChatTemplateFacts, ChatTemplateEntry, Facts, FileFacts, ArchiveFacts, ArchiveAnomaly, NpyFacts, Rule, AnyRule, RuleContext } from './types.js';
export { compileCallablePolicy, type CallablePolicy, type CallableVerdict, type CallableListOptions } from './pickle/callable-policy.js';
export { DENIED_CALLABLES, DENIED_NAME_PARTS, ALLOWED_CALLABLES, ALLOWED_CLASS_NAMESPACES } from './pickle/callable-lists.js';
export { EXTENSION_FORMATS } from './format/format-rules.js';

/** Every built-in rule, in id order. An explicit list: nothing registers itself on import. */
export const BUILTIN_RULES: readonly AnyRule[] = [
  ...ARCHIVE_RULES,
  ...FORMAT_RULES,
  ...GGUF_RULES,
  ...KERAS_RULES,
  ...NUMPY_RULES,
  ...ONNX_RULES,
  ...PICKLE_RULES,
  ...REPO_RULES,
  ...SAFETENSORS_RULES,
  ...TEMPLATE_RULES,
  ...TENSORFLOW_RULES,
  ...TF_KERAS_METADATA_RULES,
];

/**
 * Hugging Face model-repository configuration files (config.json, tokenizer_config.json,
 * preprocessor/processor/feature-extractor configs). `auto_map` names Python classes in the
 * repository (or in another repository, `owner/repo--module.Class`) that transformers imports
 * and runs when a user passes `trust_remote_code=True`. Facts only: rules decide.
 */
import { BulwarkError } from '../../errors.js';

/** Config file names that may carry `auto_map` or a chat template. */
export const HF_CONFIG_NAMES: ReadonlySet<string> = new Set([
  'config.json',
  'tokenizer_config.json',
  'preprocessor_config.json',
  'processor_config.json',
  'feature_extractor_config.json',
  'image_processor_config.json',
  'generation_config.json',
  'adapter_config.json',
]);

/** Largest config file parsed; real ones are kilobytes. */
export const MAX_HF_CONFIG_BYTES = 16 * 1024 * 1024;

/** One `auto_map` entry: `AutoModel -> modeling_foo.FooModel`. */
export interface AutoMapEntry {
  /** The Auto class key (`AutoModelForCausalLM`). */
  key: string;
  /** The reference as written. */
  ref: string;
  /** Python module inside the repository (`modeling_foo`), whose file is `modeling_foo.py`. */
  module: string;
  className: string;
  /** Set when the code lives in another repository (`owner/repo--module.Class`). */
  remoteRepo?: string;
  /** JSON pointer of the entry. */
  pointer: string;
}

/** What a config file says about custom code and templates. */
export interface HfConfigFacts {
  kind: 'hf-config';
  fileName: string;
  autoMap: AutoMapEntry[];
  /** `custom_pipelines` implementations (`impl` module files). */
  customPipelines: { task: string; impl: string; pointer: string }[];
  /** tokenizer_config.json `chat_template`: one string, or named templates. */
  chatTemplates: { name: string; template: string; pointer: string }[];
  /** Parse problems (not JSON, too large, unexpected shape). */
  problems: string[];
  /**
   * The local code files the references need, and whether each is beside the config (filled in
   * by the scanner, which knows the directory; absent inside archives).
   */
  codeFiles?: { file: string; present: boolean }[];
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function parseRef(key: string, ref: string, pointer: string): AutoMapEntry | undefined {
  // `owner/repo--module.Class` points into another repository.
  const dash = ref.indexOf('--');
  const remoteRepo = dash > 0 ? ref.slice(0, dash) : undefined;
  const local = dash > 0 ? ref.slice(dash + 2) : ref;
  const dot = local.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const entry: AutoMapEntry = { key, ref, module: local.slice(0, dot), className: local.slice(dot + 1), pointer };
  if (remoteRepo !== undefined) entry.remoteRepo = remoteRepo;
  return entry;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the facts from a config file's text. Invalid JSON is a problem, not an exception. */
export function parseHfConfig(text: string, fileName: string): HfConfigFacts {
  const facts: HfConfigFacts = { kind: 'hf-config', fileName, autoMap: [], customPipelines: [], chatTemplates: [], problems: [] };
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    facts.problems.push(`not valid JSON (${(err as Error).message})`);
    return facts;
  }
  if (!isRecord(value)) {
    facts.problems.push('not a JSON object');
    return facts;
  }
  const autoMap = value.auto_map;
  if (isRecord(autoMap)) {
    for (const [key, ref] of Object.entries(autoMap)) {
      // Tokenizers map to [slow, fast] pairs; either may be null.
      const refs = Array.isArray(ref) ? ref : [ref];
      refs.forEach((r, i) => {
        if (typeof r !== 'string') return;
        const pointer = `/auto_map/${escapePointer(key)}${Array.isArray(ref) ? `/${i}` : ''}`;
        const e = parseRef(key, r, pointer);
        if (e) facts.autoMap.push(e);
        else facts.problems.push(`auto_map ${key}: ${JSON.stringify(r)} is not module.Class`);
      });
    }
  }
  const pipelines = value.custom_pipelines;
  if (isRecord(pipelines)) {
    for (const [task, def] of Object.entries(pipelines)) {
      if (isRecord(def) && typeof def.impl === 'string') facts.customPipelines.push({ task, impl: def.impl, pointer: `/custom_pipelines/${escapePointer(task)}/impl` });
    }
  }
  const tpl = value.chat_template;
  if (typeof tpl === 'string') facts.chatTemplates.push({ name: 'default', template: tpl, pointer: '/chat_template' });
  else if (Array.isArray(tpl)) {
    tpl.forEach((t, i) => {
      if (isRecord(t) && typeof t.template === 'string') {
        facts.chatTemplates.push({ name: typeof t.name === 'string' ? t.name : String(i), template: t.template, pointer: `/chat_template/${i}/template` });
      }
    });
  }
  return facts;
}

/** Decodes a config file's bytes (bounded) and parses it. */
export function parseHfConfigBytes(bytes: Uint8Array, fileName: string, where: string): HfConfigFacts {
  if (bytes.length > MAX_HF_CONFIG_BYTES) {
    throw new BulwarkError('LIMIT_EXCEEDED', `${where}: config file larger than ${MAX_HF_CONFIG_BYTES} bytes`);
  }
  return parseHfConfig(new TextDecoder('utf-8', { fatal: false }).decode(bytes), fileName);
}

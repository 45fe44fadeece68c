import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * What Bulwark reads from a Hugging Face model card: the YAML front matter of README.md (the
 * metadata block the Hub documents at https://huggingface.co/docs/hub/model-cards, "Model card
 * metadata") and a few free-text sections of the Hub's model card template.
 */
export interface ModelCardFacts {
  /** `license` (an SPDX id or Hub licence name such as `llama3`); `license_name` when `license: other`. */
  license?: string;
  /** `datasets`: Hub dataset ids the model was trained or fine-tuned on. */
  datasets: string[];
  /** `pipeline_tag`: the task (`text-classification`, `text-generation`, ...). */
  pipelineTag?: string;
  tags: string[];
  /** `base_model`: the model(s) this one was derived from. */
  baseModels: string[];
  languages: string[];
  libraryName?: string;
  /** Text of "Intended uses" / "Direct Use" sections. */
  useCases?: string;
  /** Text of "Limitations" / "Bias, Risks, and Limitations" / "Out-of-Scope Use" sections. */
  limitations?: string;
  /** Text of "Training data" / "Training procedure" / "Training Details" sections. */
  training?: string;
  /** Front-matter problems (YAML syntax, a field of the wrong type): reported, never fatal. */
  problems: string[];
}

const stringOrList = z.union([z.string(), z.array(z.string())]).optional();
const FrontMatter = z.object({
  license: z.string().optional(),
  license_name: z.string().optional(),
  datasets: stringOrList,
  pipeline_tag: z.string().optional(),
  tags: stringOrList,
  base_model: stringOrList,
  language: stringOrList,
  library_name: z.string().optional(),
});

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Bytes of README.md read at most: model cards are documents, not data. */
export const MAX_MODEL_CARD_BYTES = 1024 * 1024;

/** Longest section text kept (the BOM carries a summary, not the whole card). */
const MAX_SECTION_CHARS = 2_000;

const SECTION_KINDS: readonly { kind: 'useCases' | 'limitations' | 'training'; pattern: RegExp }[] = [
  { kind: 'useCases', pattern: /^(intended uses?( & limitations)?|direct use|uses|intended use)$/i },
  { kind: 'limitations', pattern: /^(limitations|bias, risks,? and limitations|risks and limitations|out-of-scope use|limitations and bias)$/i },
  { kind: 'training', pattern: /^(training data|training procedure|training details)$/i },
];

/** Markdown sections (`#`..`###` headings) whose heading names a known kind, text joined per kind. */
function sections(body: string): Partial<Record<'useCases' | 'limitations' | 'training', string>> {
  const out: Partial<Record<'useCases' | 'limitations' | 'training', string[]>> = {};
  let current: 'useCases' | 'limitations' | 'training' | undefined;
  let inFence = false;
  for (const line of body.split(/\r?\n/)) {
    // Code blocks are neither headings nor summary prose.
    if (/^\s*```/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    const heading = /^#{1,4}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      current = SECTION_KINDS.find((s) => s.pattern.test(heading[1]!.trim()))?.kind;
      continue;
    }
    if (current !== undefined && line.trim() !== '' && !line.trim().startsWith('<!--')) (out[current] ??= []).push(line.trim());
  }
  const result: Partial<Record<'useCases' | 'limitations' | 'training', string>> = {};
  for (const [k, v] of Object.entries(out) as ['useCases' | 'limitations' | 'training', string[]][]) {
    const text = v.join(' ').replace(/\s+/g, ' ').trim();
    if (text) result[k] = text.length > MAX_SECTION_CHARS ? `${text.slice(0, MAX_SECTION_CHARS - 1)}…` : text;
  }
  return result;
}

/**
 * Parses a model card. The front matter is YAML between a first line `---` and the next `---`;
 * it is parsed as data (no custom tags, no anchors beyond YAML's own), never executed.
 */
export function parseModelCard(text: string, uri: string): ModelCardFacts {
  const facts: ModelCardFacts = { datasets: [], tags: [], baseModels: [], languages: [], problems: [] };
  let body = text;
  const fm = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (fm) {
    body = text.slice(fm[0].length);
    let raw: unknown;
    try {
      raw = parseYaml(fm[1]!, { maxAliasCount: 100 });
    } catch (err) {
      facts.problems.push(`${uri}: the front matter is not valid YAML (${(err as Error).message.split('\n')[0] ?? ''})`);
    }
    if (raw !== undefined && raw !== null) {
      const parsed = FrontMatter.safeParse(raw);
      if (!parsed.success) {
        facts.problems.push(`${uri}: front matter field ${parsed.error.issues.map((i) => `'${i.path.join('.')}' ${i.message}`).join('; ')}`);
      } else {
        const m = parsed.data;
        const licence = m.license === 'other' && m.license_name ? m.license_name : m.license;
        if (licence?.trim()) facts.license = licence.trim();
        facts.datasets = list(m.datasets);
        if (m.pipeline_tag?.trim()) facts.pipelineTag = m.pipeline_tag.trim();
        facts.tags = list(m.tags);
        facts.baseModels = list(m.base_model);
        facts.languages = list(m.language);
        if (m.library_name?.trim()) facts.libraryName = m.library_name.trim();
      }
    }
  }
  Object.assign(facts, sections(body));
  return facts;
}

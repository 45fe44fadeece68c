import { createHash, randomUUID } from 'node:crypto';
import { Enums, Models, Serialize, Spec, SPDX } from '@cyclonedx/cyclonedx-library';
import type { DependencyFact } from '../deps/types.js';
import type { BomFacts, DatasetFacts, ModelFacts } from './types.js';

/** Input and output formats of Hugging Face pipeline tasks (CycloneDX modelCard inputs/outputs). */
const TASK_IO: Readonly<Record<string, { input: string; output: string }>> = {
  'text-classification': { input: 'text', output: 'label' },
  'token-classification': { input: 'text', output: 'labelled tokens' },
  'text-generation': { input: 'text', output: 'text' },
  'text2text-generation': { input: 'text', output: 'text' },
  'summarization': { input: 'text', output: 'text' },
  'translation': { input: 'text', output: 'text' },
  'question-answering': { input: 'text', output: 'text span' },
  'fill-mask': { input: 'text', output: 'text' },
  'feature-extraction': { input: 'text', output: 'embedding vector' },
  'sentence-similarity': { input: 'text', output: 'similarity score' },
  'zero-shot-classification': { input: 'text', output: 'label' },
  'image-classification': { input: 'image', output: 'label' },
  'object-detection': { input: 'image', output: 'bounding boxes' },
  'image-segmentation': { input: 'image', output: 'segmentation mask' },
  'image-to-text': { input: 'image', output: 'text' },
  'text-to-image': { input: 'text', output: 'image' },
  'automatic-speech-recognition': { input: 'audio', output: 'text' },
  'audio-classification': { input: 'audio', output: 'label' },
  'text-to-speech': { input: 'text', output: 'audio' },
  'tabular-classification': { input: 'tabular', output: 'label' },
  'tabular-regression': { input: 'tabular', output: 'number' },
};

/** Learning approaches CycloneDX 1.6 names (modelParameters.approach.type), recognised in the card's tags. */
const APPROACHES: readonly string[] = ['supervised', 'unsupervised', 'reinforcement-learning', 'semi-supervised', 'self-supervised'];

/** bom-ref of a model, dataset or library: stable, derived from its path or package URL. */
export function modelRef(m: ModelFacts): string {
  return `model:${m.path}`;
}
/** bom-ref of a dataset. */
export function datasetRef(d: DatasetFacts): string {
  return `${d.local ? 'data:file' : 'data:hub'}:${d.name}`;
}
/** bom-ref of a library: its purl (or name@version when there is none). */
export function libraryRef(d: DependencyFact): string {
  return d.purl ?? `lib:${d.ecosystem}:${d.normalizedName}@${d.version ?? ''}`;
}

/** Libraries from every lockfile, one per purl: a pinned entry wins over an unpinned one, hashes are merged. */
export function mergedLibraries(facts: BomFacts): DependencyFact[] {
  const byRef = new Map<string, DependencyFact>();
  for (const lf of facts.lockfiles) {
    for (const d of lf.dependencies) {
      const key = d.version !== undefined ? libraryRef(d) : `${d.ecosystem}:${d.normalizedName}`;
      const prev = byRef.get(key);
      if (!prev) byRef.set(key, d);
      else if (d.hashes?.length) byRef.set(key, { ...prev, hashes: [...new Set([...(prev.hashes ?? []), ...d.hashes])] });
    }
  }
  // An unpinned requirement whose package a lockfile pins is covered by the pin.
  const pinned = new Set([...byRef.values()].filter((d) => d.version !== undefined).map((d) => `${d.ecosystem}:${d.normalizedName}`));
  return [...byRef.entries()].filter(([k, d]) => d.version !== undefined || !pinned.has(k)).map(([, d]) => d).sort((a, b) => (libraryRef(a) < libraryRef(b) ? -1 : libraryRef(a) > libraryRef(b) ? 1 : 0));
}

/** `sha256:<hex>` (pip, poetry) to CycloneDX hash; other algorithms are left out. */
function sha256Of(hash: string): string | undefined {
  const m = /^sha256[:=]([0-9a-fA-F]{64})$/.exec(hash);
  return m ? m[1]!.toLowerCase() : undefined;
}

/** Sum of the parsed parameters of a model, or undefined when no weights were parsed. */
export function parametersOf(m: ModelFacts): number | undefined {
  const counted = m.weights.filter((w) => w.parameters !== undefined);
  return counted.length ? counted.reduce((n, w) => n + (w.parameters ?? 0), 0) : undefined;
}

/** dtype -> parameters over all weight files of a model. */
export function dtypesOf(m: ModelFacts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of m.weights) for (const [k, v] of Object.entries(w.dtypes)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Datasets a model was trained or tested on: the card's Hub datasets and every local dataset. */
export function datasetsOfModel(m: ModelFacts, facts: BomFacts): DatasetFacts[] {
  const hub = new Set(m.card?.datasets ?? []);
  return facts.datasets.filter((d) => d.local || hub.has(d.name));
}

/** A UUID (RFC 9562 version 8, "custom") from the first 16 bytes of a SHA-256. */
export function uuidFromDigest(hex: string): string {
  const b = Buffer.from(hex.slice(0, 32), 'hex');
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The SPDX licence id for a card's `license` (the Hub writes ids in lower case: `apache-2.0`), or undefined. */
export function spdxLicenceId(licence: string): string | undefined {
  const fixed = SPDX.fixupSpdxId(licence);
  return fixed !== undefined && SPDX.isSupportedSpdxId(fixed) ? fixed : undefined;
}

function licenceOf(licence: string): Models.License {
  const id = spdxLicenceId(licence);
  return id !== undefined ? new Models.SpdxLicense(id) : new Models.NamedLicense(licence);
}

/** The CycloneDX 1.6 modelCard of a model (CycloneDX 1.6 "modelCard"), which the library's models do not cover. */
function modelCardOf(m: ModelFacts, facts: BomFacts): Record<string, unknown> {
  const card = m.card;
  const params: Record<string, unknown> = {};
  const approach = card?.tags.map((t) => t.toLowerCase()).find((t) => APPROACHES.includes(t));
  if (approach) params.approach = { type: approach };
  if (card?.pipelineTag) params.task = card.pipelineTag;
  if (m.config?.modelType) params.architectureFamily = m.config.modelType;
  if (m.config?.architectures.length) params.modelArchitecture = m.config.architectures.join(', ');
  const datasets = datasetsOfModel(m, facts);
  if (datasets.length) params.datasets = datasets.map((d) => ({ ref: datasetRef(d) }));
  const io = card?.pipelineTag ? TASK_IO[card.pipelineTag] : undefined;
  if (io) {
    params.inputs = [{ format: io.input }];
    params.outputs = [{ format: io.output }];
  }
  const out: Record<string, unknown> = { 'bom-ref': `${modelRef(m)}#model-card`, modelParameters: params };
  const considerations: Record<string, unknown> = {};
  if (card?.useCases) considerations.useCases = [card.useCases];
  if (card?.limitations) considerations.technicalLimitations = [card.limitations];
  if (Object.keys(considerations).length) out.considerations = considerations;
  return out;
}

/** Options of {@link renderCycloneDx}. */
export interface CycloneDxRenderOptions {
  timestamp?: Date;
  reproducible: boolean;
}

/**
 * Renders the facts as CycloneDX 1.6 JSON with @cyclonedx/cyclonedx-library's models and JSON
 * serializer (lists sorted, so output is stable), then adds each model's `modelCard`, which the
 * library does not model yet. The serial number is a random UUID, or with `reproducible` a UUID
 * from the SHA-256 of the document without serial number and timestamp.
 */
export function renderCycloneDx(facts: BomFacts, options: CycloneDxRenderOptions): Record<string, unknown> {
  const bom = new Models.Bom();
  bom.metadata.tools.components.add(new Models.Component(Enums.ComponentType.Application, 'bulwark', { version: facts.toolVersion, group: 'bulwark-mlsecops' }));
  const root = new Models.Component(Enums.ComponentType.Application, facts.rootName, { bomRef: 'root' });
  bom.metadata.component = root;

  const libs = mergedLibraries(facts);
  const libRefs: Models.BomRef[] = [];
  for (const d of libs) {
    const c = new Models.Component(Enums.ComponentType.Library, d.name, { bomRef: libraryRef(d) });
    if (d.version !== undefined) c.version = d.version;
    if (d.purl !== undefined) c.purl = d.purl;
    c.scope = d.scope === 'dev' ? Enums.ComponentScope.Excluded : d.scope === 'optional' ? Enums.ComponentScope.Optional : Enums.ComponentScope.Required;
    const digest = (d.hashes ?? []).map(sha256Of).find((h) => h !== undefined);
    if (digest) c.hashes.set(Enums.HashAlgorithm['SHA-256'], digest);
    c.properties.add(new Models.Property('bulwark:dependency:source', d.source.line !== undefined ? `${d.source.file}:${d.source.line}` : d.source.file));
    c.properties.add(new Models.Property('bulwark:dependency:direct', String(d.direct)));
    if (d.specifier !== undefined) c.properties.add(new Models.Property('bulwark:dependency:specifier', d.specifier));
    bom.components.add(c);
    libRefs.push(c.bomRef);
  }

  const dataRefs = new Map<string, Models.BomRef>();
  for (const d of facts.datasets) {
    const c = new Models.Component(Enums.ComponentType.Data, d.name, { bomRef: datasetRef(d) });
    if (d.sha256) c.hashes.set(Enums.HashAlgorithm['SHA-256'], d.sha256);
    c.properties.add(new Models.Property('bulwark:dataset:role', d.role));
    c.properties.add(new Models.Property('bulwark:dataset:source', d.local ? 'file' : 'model-card'));
    if (d.size !== undefined) c.properties.add(new Models.Property('bulwark:dataset:bytes', String(d.size)));
    for (const [k, v] of Object.entries(d.fingerprint ?? {})) c.properties.add(new Models.Property(`bulwark:fingerprint:${k}`, String(v)));
    if (!d.local) c.externalReferences.add(new Models.ExternalReference(`https://huggingface.co/datasets/${d.name}`, Enums.ExternalReferenceType.Distribution));
    bom.components.add(c);
    dataRefs.set(datasetRef(d), c.bomRef);
  }

  for (const m of facts.models) {
    const c = new Models.Component(Enums.ComponentType.MachineLearningModel, m.name, { bomRef: modelRef(m) });
    // The OMS root digest: SHA-256 over the files' digests, what a model signature covers (src/sign).
    c.hashes.set(Enums.HashAlgorithm['SHA-256'], m.rootDigest);
    if (m.card?.license) c.licenses.add(licenceOf(m.card.license));
    const formats = [...new Set(m.weights.map((w) => w.format))].sort();
    c.properties.add(new Models.Property('bulwark:model:path', m.path));
    c.properties.add(new Models.Property('bulwark:model:root-digest', `sha256:${m.rootDigest}`));
    if (formats.length) c.properties.add(new Models.Property('bulwark:model:format', formats.join(',')));
    const params = parametersOf(m);
    if (params !== undefined) c.properties.add(new Models.Property('bulwark:model:parameters', String(params)));
    const dtypes = dtypesOf(m);
    for (const [k, v] of Object.entries(dtypes)) c.properties.add(new Models.Property(`bulwark:model:dtype:${k}`, String(v)));
    for (const b of m.card?.baseModels ?? []) c.properties.add(new Models.Property('bulwark:model:base-model', b));
    for (const [k, v] of Object.entries(m.config?.hyperparameters ?? {})) c.properties.add(new Models.Property(`bulwark:model:config:${k}`, String(v)));
    for (const f of m.files) {
      const fc = new Models.Component(Enums.ComponentType.File, f.name, { bomRef: `${modelRef(m)}/${f.name}` });
      fc.hashes.set(Enums.HashAlgorithm['SHA-256'], f.sha256);
      c.components.add(fc);
    }
    for (const r of libRefs) c.dependencies.add(r);
    for (const d of datasetsOfModel(m, facts)) {
      const ref = dataRefs.get(datasetRef(d));
      if (ref) c.dependencies.add(ref);
    }
    bom.components.add(c);
    root.dependencies.add(c.bomRef);
  }
  if (facts.models.length === 0) for (const r of libRefs) root.dependencies.add(r);

  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  const doc = JSON.parse(serializer.serialize(bom, { sortLists: true })) as Record<string, unknown> & { components?: Record<string, unknown>[] };
  const cards = new Map(facts.models.map((m) => [modelRef(m), modelCardOf(m, facts)]));
  for (const c of doc.components ?? []) {
    const card = cards.get(String(c['bom-ref']));
    if (card) c.modelCard = card;
  }
  const serial = options.reproducible ? uuidFromDigest(createHash('sha256').update(JSON.stringify(doc)).digest('hex')) : randomUUID();
  const { $schema, bomFormat, specVersion, version, metadata, ...rest } = doc;
  const meta = { ...(options.timestamp ? { timestamp: options.timestamp.toISOString() } : {}), ...(metadata as Record<string, unknown>) };
  return { $schema, bomFormat, specVersion, serialNumber: `urn:uuid:${serial}`, version, metadata: meta, ...rest };
}

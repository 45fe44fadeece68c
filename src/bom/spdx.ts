import { createHash, randomUUID } from 'node:crypto';
import { datasetsOfModel, dtypesOf, mergedLibraries, parametersOf, spdxLicenceId, uuidFromDigest } from './cyclonedx.js';
import type { BomFacts, DatasetFacts } from './types.js';

/** The SPDX 3.0.1 JSON-LD context (SPDX 3.0.1 "Serialization", JSON-LD). */
export const SPDX_CONTEXT = 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld';
/** SPDX individuals used where Bulwark makes no assertion (SPDX 3.0.1 Core/NoAssertionElement, ExpandedLicensing/NoAssertionLicense). */
export const SPDX_NO_ASSERTION_ELEMENT = 'https://spdx.org/rdf/3.0.1/terms/Core/NoAssertionElement';
/** SPDX 3.0.1 ExpandedLicensing/NoAssertionLicense. */
export const SPDX_NO_ASSERTION_LICENSE = 'https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoAssertionLicense';

type Node = Record<string, unknown>;

/** Options of {@link renderSpdx}. */
export interface SpdxRenderOptions {
  /** SPDX requires CreationInfo.created; without a clock the Unix epoch is written (documented). */
  timestamp?: Date;
  reproducible: boolean;
}

/** SPDX 3 dates are xsd:dateTimeStamp without fractional seconds (`2024-01-01T00:00:00Z`). */
function spdxDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function datasetType(d: DatasetFacts): string {
  const n = d.name.toLowerCase();
  if (/\.(csv|tsv|parquet|arrow)$/.test(n)) return 'structured';
  if (/\.(jsonl|ndjson)$/.test(n)) return 'text';
  return 'noAssertion';
}

/**
 * Renders the facts as SPDX 3.0.1 JSON-LD with the Core, Software, AI, Dataset and SimpleLicensing
 * profiles: ai_AIPackage per model, dataset_DatasetPackage per dataset, software_Package per library,
 * and Relationships dependsOn / trainedOn / testedOn / contains, plus the hasDeclaredLicense and
 * hasConcludedLicense relationships the AI and Dataset profile conformance clauses require for every
 * AIPackage and DatasetPackage. spdxIds are IRIs under `urn:bulwark:spdx:<uuid>#`.
 */
export function renderSpdx(facts: BomFacts, options: SpdxRenderOptions): Node {
  const created = spdxDate(options.timestamp ?? new Date(0));
  const ci = '_:creationinfo';
  const graph: Node[] = [];
  const local: string[] = [];
  const id = (s: string): string => `#${s.replace(/[^A-Za-z0-9._~:/@-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}`;
  const add = (n: Node): void => {
    graph.push(n);
    if (typeof n.spdxId === 'string') local.push(n.spdxId);
  };
  const agent = id('agent/bulwark');
  const tool = id(`tool/bulwark-${facts.toolVersion}`);
  graph.push({ type: 'CreationInfo', '@id': ci, specVersion: '3.0.1', created, createdBy: [agent], createdUsing: [tool] });
  add({ type: 'SoftwareAgent', spdxId: agent, creationInfo: ci, name: 'bulwark' });
  add({ type: 'Tool', spdxId: tool, creationInfo: ci, name: `bulwark ${facts.toolVersion}` });

  let rel = 0;
  const relate = (from: string, type: string, to: string[]): void => {
    if (to.length) add({ type: 'Relationship', spdxId: id(`relationship/${++rel}`), creationInfo: ci, from, relationshipType: type, to });
  };
  const licences = new Map<string, string>();
  const licenceId = (expr: string): string => {
    let lid = licences.get(expr);
    if (!lid) {
      lid = id(`license/${expr}`);
      licences.set(expr, lid);
      add({ type: 'simplelicensing_LicenseExpression', spdxId: lid, creationInfo: ci, simplelicensing_licenseExpression: expr });
    }
    return lid;
  };

  const libIds = mergedLibraries(facts).map((d) => {
    const lid = id(`package/${d.purl ?? `${d.ecosystem}/${d.normalizedName}@${d.version ?? ''}`}`);
    const hashes = (d.hashes ?? []).map((h) => /^sha256[:=]([0-9a-fA-F]{64})$/.exec(h)?.[1]?.toLowerCase()).filter((h): h is string => h !== undefined);
    add({
      type: 'software_Package',
      spdxId: lid,
      creationInfo: ci,
      name: d.name,
      ...(d.version !== undefined ? { software_packageVersion: d.version } : {}),
      ...(d.purl !== undefined ? { software_packageUrl: d.purl } : {}),
      software_primaryPurpose: 'library',
      ...(hashes.length ? { verifiedUsing: hashes.map((h) => ({ type: 'Hash', algorithm: 'sha256', hashValue: h })) } : {}),
    });
    return lid;
  });

  const dataIds = new Map<string, string>();
  for (const d of facts.datasets) {
    const did = id(`dataset/${d.local ? 'file' : 'hub'}/${d.name}`);
    dataIds.set(d.name, did);
    add({
      type: 'dataset_DatasetPackage',
      spdxId: did,
      creationInfo: ci,
      name: d.name,
      // Required by the Dataset profile (DatasetPackage cardinality updates); Bulwark cannot know
      // them, so: the document time for builtTime/releaseTime and NoAssertionElement for originatedBy.
      builtTime: created,
      releaseTime: created,
      originatedBy: [SPDX_NO_ASSERTION_ELEMENT],
      software_downloadLocation: d.local ? d.name : `https://huggingface.co/datasets/${d.name}`,
      software_primaryPurpose: 'data',
      dataset_datasetType: [datasetType(d)],
      ...(d.size !== undefined ? { dataset_datasetSize: d.size } : {}),
      ...(d.sha256 ? { verifiedUsing: [{ type: 'Hash', algorithm: 'sha256', hashValue: d.sha256 }] } : {}),
      ...(d.fingerprint ? { comment: `bulwark data fingerprint: ${Object.entries(d.fingerprint).map(([k, v]) => `${k}=${v}`).join(', ')}` } : {}),
    });
    relate(did, 'hasDeclaredLicense', [SPDX_NO_ASSERTION_LICENSE]);
    relate(did, 'hasConcludedLicense', [SPDX_NO_ASSERTION_LICENSE]);
  }

  const roots: string[] = [];
  for (const m of facts.models) {
    const mid = id(`model/${m.path}`);
    roots.push(mid);
    const params = parametersOf(m);
    const hyper = { ...(m.config?.hyperparameters ?? {}), ...(params !== undefined ? { parameters: params } : {}) };
    const dtypes = dtypesOf(m);
    const training = [m.card?.training, m.card?.baseModels.length ? `Base model: ${m.card.baseModels.join(', ')}.` : undefined].filter(Boolean).join(' ');
    add({
      type: 'ai_AIPackage',
      spdxId: mid,
      creationInfo: ci,
      name: m.name,
      software_packageVersion: `sha256:${m.rootDigest}`,
      software_downloadLocation: m.path,
      software_primaryPurpose: 'model',
      releaseTime: created,
      suppliedBy: SPDX_NO_ASSERTION_ELEMENT,
      verifiedUsing: [{ type: 'Hash', algorithm: 'sha256', hashValue: m.rootDigest, comment: 'OMS root digest: SHA-256 over the model files\' digests (what a model signature covers)' }],
      ...(m.config?.architectures.length ? { ai_typeOfModel: m.config.architectures } : m.config?.modelType ? { ai_typeOfModel: [m.config.modelType] } : {}),
      ...(m.card?.pipelineTag ? { ai_domain: [m.card.pipelineTag, ...m.card.languages.map((l) => `language:${l}`)] } : {}),
      ...(training ? { ai_informationAboutTraining: training } : {}),
      ...(m.card?.useCases ? { ai_informationAboutApplication: m.card.useCases } : {}),
      ...(m.card?.limitations ? { ai_limitation: m.card.limitations } : {}),
      ...(Object.keys(hyper).length ? { ai_hyperparameter: Object.entries(hyper).map(([key, value]) => ({ type: 'DictionaryEntry', key, value: String(value) })) } : {}),
      ...(Object.keys(dtypes).length ? { comment: `weights: ${[...new Set(m.weights.map((w) => w.format))].join(', ')}; dtypes: ${Object.entries(dtypes).map(([k, v]) => `${k}=${v}`).join(', ')}` } : {}),
    });
    // A licence that is not on the SPDX list (e.g. `llama3`) becomes a LicenseRef- expression.
    const declared = m.card?.license ? (spdxLicenceId(m.card.license) ?? `LicenseRef-${m.card.license.replace(/[^A-Za-z0-9.-]/g, '-')}`) : undefined;
    relate(mid, 'hasDeclaredLicense', [declared !== undefined ? licenceId(declared) : SPDX_NO_ASSERTION_LICENSE]);
    relate(mid, 'hasConcludedLicense', [SPDX_NO_ASSERTION_LICENSE]);
    relate(mid, 'dependsOn', libIds);
    const ds = datasetsOfModel(m, facts);
    relate(mid, 'trainedOn', ds.filter((d) => d.role !== 'testing').map((d) => dataIds.get(d.name)!).filter(Boolean));
    relate(mid, 'testedOn', ds.filter((d) => d.role === 'testing').map((d) => dataIds.get(d.name)!).filter(Boolean));
  }
  if (roots.length === 0) roots.push(...libIds);

  const docNode: Node = {
    type: 'SpdxDocument',
    spdxId: id('document'),
    creationInfo: ci,
    name: `ML-BOM of ${facts.rootName}`,
    profileConformance: ['core', 'software', 'ai', 'dataset', 'simpleLicensing'],
    dataLicense: licenceId('CC0-1.0'),
    rootElement: roots,
  };
  docNode.element = local.filter((e) => e !== docNode.spdxId);
  graph.push(docNode);
  // Local ids become IRIs under one base, derived from the content when reproducible.
  const body = JSON.stringify({ graph: graph.map((n) => (n.type === 'CreationInfo' ? { ...n, created: '' } : n)) });
  const base = `urn:bulwark:spdx:${options.reproducible ? uuidFromDigest(createHash('sha256').update(body).digest('hex')) : randomUUID()}`;
  const absolute = (v: unknown): unknown =>
    typeof v === 'string' && v.startsWith('#') ? `${base}${v}` : Array.isArray(v) ? v.map(absolute) : v;
  const out = graph.map((n) => Object.fromEntries(Object.entries(n).map(([k, v]) => [k, k === 'spdxId' || k === 'from' || k === 'to' || k === 'createdBy' || k === 'createdUsing' || k === 'rootElement' || k === 'element' || k === 'dataLicense' ? absolute(v) : v])));
  return { '@context': SPDX_CONTEXT, '@graph': out };
}

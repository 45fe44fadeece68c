import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildBom } from '../../src/bom/index.js';
import { fixture } from '../helpers.js';

const PROJECT = fixture('bom/project');
const CLOCK = (): Date => new Date('2026-11-21T12:00:00Z');
type Node = Record<string, unknown> & { type: string; spdxId?: string };

// Required properties from the SPDX 3.0.1 model pages (spdx.github.io/spdx-spec/v3.0.1/model/...):
// Core/Element (spdxId, creationInfo), Core/CreationInfo (specVersion, created, createdBy),
// AI/AIPackage and Dataset/DatasetPackage "External properties cardinality updates".
const iri = z.string().refine((s) => URL.canParse(s), 'an IRI');
const dateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
const element = z.object({ type: z.string(), spdxId: iri, creationInfo: z.literal('_:creationinfo') });
const hash = z.object({ type: z.literal('Hash'), algorithm: z.literal('sha256'), hashValue: z.string().regex(/^[0-9a-f]{64}$/) });
const SHAPES: Record<string, z.ZodTypeAny> = {
  CreationInfo: z.object({ '@id': z.string(), specVersion: z.literal('3.0.1'), created: dateTime, createdBy: z.array(iri).min(1) }),
  SpdxDocument: element.extend({ rootElement: z.array(iri).min(1), element: z.array(iri).min(1), profileConformance: z.array(z.string()), dataLicense: iri }),
  ai_AIPackage: element.extend({
    name: z.string(), releaseTime: dateTime, suppliedBy: iri, software_downloadLocation: z.string(), software_packageVersion: z.string(),
    software_primaryPurpose: z.literal('model'), verifiedUsing: z.array(hash.passthrough()).min(1),
    ai_typeOfModel: z.array(z.string()).optional(), ai_domain: z.array(z.string()).optional(), ai_informationAboutTraining: z.string().optional(),
  }),
  dataset_DatasetPackage: element.extend({
    name: z.string(), builtTime: dateTime, releaseTime: dateTime, originatedBy: z.array(iri).length(1), software_downloadLocation: z.string(),
    software_primaryPurpose: z.literal('data'), dataset_datasetType: z.array(z.enum(['structured', 'numeric', 'text', 'categorical', 'graph', 'timeseries', 'timestamp', 'sensor', 'image', 'syntactic', 'audio', 'video', 'other', 'noAssertion'])).min(1),
  }),
  software_Package: element.extend({ name: z.string(), software_primaryPurpose: z.string() }),
  Relationship: element.extend({ from: iri, to: z.array(iri).min(1), relationshipType: z.enum(['dependsOn', 'trainedOn', 'testedOn', 'hasDeclaredLicense', 'hasConcludedLicense', 'contains']) }),
  simplelicensing_LicenseExpression: element.extend({ simplelicensing_licenseExpression: z.string() }),
  SoftwareAgent: element.extend({ name: z.string() }),
  Tool: element.extend({ name: z.string() }),
};

describe('buildBom (SPDX 3.0.1 JSON-LD, AI and Dataset profiles)', () => {
  it('has every element shaped as the spec requires and the licence relationships the profiles require', async () => {
    const { document } = await buildBom({ path: PROJECT, format: 'spdx', clock: CLOCK, reproducible: true });
    const doc = document as { '@context': string; '@graph': Node[] };
    expect(doc['@context']).toBe('https://spdx.org/rdf/3.0.1/spdx-context.jsonld');
    const graph = doc['@graph'];
    for (const n of graph) {
      const shape = SHAPES[n.type];
      expect(shape, `no shape for ${n.type}`).toBeDefined();
      const r = shape!.safeParse(n);
      expect(r.success, `${n.type} ${String(n.spdxId)}: ${r.success ? '' : JSON.stringify(r.error.issues)}`).toBe(true);
    }
    const ids = new Set(graph.map((n) => n.spdxId).filter(Boolean));
    const noAssertion = (s: string): boolean => s.startsWith('https://spdx.org/rdf/3.0.1/terms/');
    const rels = graph.filter((n) => n.type === 'Relationship') as unknown as { from: string; to: string[]; relationshipType: string }[];
    for (const r of rels) for (const t of [r.from, ...r.to]) expect(ids.has(t) || noAssertion(t), t).toBe(true);
    // Profile conformance (AI, Dataset): exactly one hasDeclaredLicense and one hasConcludedLicense per package.
    for (const p of graph.filter((n) => n.type === 'ai_AIPackage' || n.type === 'dataset_DatasetPackage')) {
      for (const t of ['hasDeclaredLicense', 'hasConcludedLicense']) expect(rels.filter((r) => r.from === p.spdxId && r.relationshipType === t)).toHaveLength(1);
    }
    const model = graph.find((n) => n.type === 'ai_AIPackage')!;
    expect(model).toMatchObject({ name: 'model', ai_typeOfModel: ['DistilBertForSequenceClassification'], ai_domain: ['text-classification', 'language:en'] });
    const declared = rels.find((r) => r.from === model.spdxId && r.relationshipType === 'hasDeclaredLicense')!;
    expect(graph.find((n) => n.spdxId === declared.to[0])).toMatchObject({ simplelicensing_licenseExpression: 'Apache-2.0' });
    const named = (rel: string): string[] => rels.filter((r) => r.from === model.spdxId && r.relationshipType === rel).flatMap((r) => r.to).map((id) => String(graph.find((n) => n.spdxId === id)?.name)).sort();
    expect(named('trainedOn')).toEqual(['data/train.csv', 'stanfordnlp/imdb']);
    expect(named('testedOn')).toEqual(['data/test.csv']);
    expect(named('dependsOn')).toEqual(['datasets', 'safetensors', 'tokenizers', 'torch', 'transformers']);
    const document_ = graph.find((n) => n.type === 'SpdxDocument')!;
    expect(document_.rootElement).toEqual([model.spdxId]);
    expect([...ids].filter((i) => i !== document_.spdxId).sort()).toEqual([...(document_.element as string[])].sort());
  });

  it('is byte-identical across reproducible runs', async () => {
    const a = await buildBom({ path: PROJECT, format: 'spdx', clock: null, reproducible: true });
    const b = await buildBom({ path: PROJECT, format: 'spdx', clock: null, reproducible: true });
    expect(JSON.stringify(a.document)).toBe(JSON.stringify(b.document));
  });
});

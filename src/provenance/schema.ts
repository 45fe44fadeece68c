import { z } from 'zod';
import { IN_TOTO_STATEMENT_V1 } from '../attest/index.js';

/** SLSA Provenance v1 predicate type (https://slsa.dev/spec/v1.0/provenance). */
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** The buildType of a Bulwark-described training run (its parameters are documented in docs/provenance.md). */
export const BULWARK_TRAINING_BUILD_TYPE = 'https://github.com/bulwark-mlsecops/bulwark/blob/main/docs/provenance.md#training-v1';

const digestSet = z.record(z.string().min(1), z.string().regex(/^[0-9a-fA-F]+$/, 'a lower-case hex digest'));

/** in-toto ResourceDescriptor (spec/v1/resource_descriptor.md): at least one of uri, digest, content. */
export const ResourceDescriptorSchema = z
  .object({
    name: z.string().optional(),
    uri: z.string().optional(),
    digest: digestSet.optional(),
    annotations: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((r) => r.uri !== undefined || r.digest !== undefined, 'a resource descriptor needs a uri or a digest');

const rfc3339 = z.string().datetime({ offset: true });

/** SLSA Provenance v1 predicate (https://slsa.dev/spec/v1.0/provenance#schema). */
export const SlsaProvenanceV1Schema = z.object({
  buildDefinition: z.object({
    buildType: z.string().url(),
    externalParameters: z.record(z.string(), z.unknown()),
    internalParameters: z.record(z.string(), z.unknown()).optional(),
    resolvedDependencies: z.array(ResourceDescriptorSchema).optional(),
  }),
  runDetails: z.object({
    builder: z.object({ id: z.string().min(1), version: z.record(z.string(), z.string()).optional(), builderDependencies: z.array(ResourceDescriptorSchema).optional() }),
    metadata: z.object({ invocationId: z.string().optional(), startedOn: rfc3339.optional(), finishedOn: rfc3339.optional() }).optional(),
    byproducts: z.array(ResourceDescriptorSchema).optional(),
  }),
});

/** An in-toto Statement v1 carrying a SLSA Provenance v1 predicate. */
export const ProvenanceStatementSchema = z.object({
  _type: z.literal(IN_TOTO_STATEMENT_V1),
  subject: z.array(z.object({ name: z.string().min(1), digest: digestSet.refine((d) => typeof d.sha256 === 'string' && /^[0-9a-f]{64}$/.test(d.sha256), 'a sha256 digest') })).min(1),
  predicateType: z.literal(SLSA_PROVENANCE_V1),
  predicate: SlsaProvenanceV1Schema,
});

/** A validated provenance statement. */
export type ProvenanceStatement = z.infer<typeof ProvenanceStatementSchema>;
/** An in-toto resource descriptor. */
export type ResourceDescriptor = z.infer<typeof ResourceDescriptorSchema>;

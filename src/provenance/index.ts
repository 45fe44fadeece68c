/**
 * Training provenance: SLSA Provenance v1 predicates in in-toto Statement v1, signed as DSSE in a
 * Sigstore bundle with the model-signing key machinery (src/sign), and verified.
 */
export {
  buildProvenance,
  signProvenance,
  verifyProvenance,
  parseProvenanceStatement,
  parseBaseModel,
  parseCodeRevision,
  readProvenanceInput,
  DEFAULT_PROVENANCE_OPTIONS,
  DEFAULT_BUILDER_ID,
  type ProvenanceOptions,
  type VerifyProvenanceOptions,
  type ProvenanceVerification,
} from './provenance.js';
export {
  BULWARK_TRAINING_BUILD_TYPE,
  SLSA_PROVENANCE_V1,
  ProvenanceStatementSchema,
  SlsaProvenanceV1Schema,
  ResourceDescriptorSchema,
  type ProvenanceStatement,
  type ResourceDescriptor,
} from './schema.js';

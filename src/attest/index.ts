/**
 * Attestations: any Report as an in-toto Statement v1 about its subjects' digests, signed as a
 * DSSE envelope in a Sigstore bundle with the model-signing key machinery, and verified back.
 */
export { statementForReport, predicateTypeFor, kindOfPredicateType } from './statement.js';
export { signStatement, statementBytes } from './sign.js';
export { verifyAttestation, type VerifyAttestationOptions } from './verify.js';
export { ReportSchema, parseReport, describeZodError, type ReportParse } from './report-schema.js';
export {
  IN_TOTO_STATEMENT_V1,
  IN_TOTO_PAYLOAD_TYPE,
  BULWARK_PREDICATE_PREFIX,
  DEFAULT_ATTEST_LIMITS,
  type InTotoStatement,
  type InTotoSubject,
  type AttestationSigner,
  type AttestationTrust,
  type AttestationBundle,
  type AttestationSignerIdentity,
  type AttestationFailure,
  type AttestationVerification,
  type AttestLimits,
} from './types.js';

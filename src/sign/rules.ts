import type { RuleMeta } from '../report/types.js';
import { defineRuleMeta } from '../rules/meta.js';

/** Tags of signature-verification findings: integrity of the model supply chain. */
const SIGN_TAGS = ['cwe-345', 'cwe-494', 'owasp-ml06', 'atlas:AML.T0010'];

/** A file's content differs from its signed digest (OMS §8.4 step 8). */
export const RULE_CHANGED_FILE = defineRuleMeta('BW-SIG-001', 'sign/changed-file', 'Model file differs from its signed digest', 'critical', SIGN_TAGS);
/** A signed file is absent from the model (OMS §8.4 step 8). */
export const RULE_MISSING_FILE = defineRuleMeta('BW-SIG-002', 'sign/missing-file', 'Signed model file is missing', 'high', SIGN_TAGS);
/** A file is present but not covered by the signature (OMS §8.4 step 9, §8.5). */
export const RULE_UNSIGNED_FILE = defineRuleMeta('BW-SIG-003', 'sign/unsigned-file', 'Model file is not covered by the signature', 'high', SIGN_TAGS);
/** The DSSE signature does not verify (OMS §8.2). */
export const RULE_BAD_SIGNATURE = defineRuleMeta('BW-SIG-004', 'sign/bad-signature', 'Signature does not verify', 'critical', SIGN_TAGS);
/** The signer is not the trusted one: other key, untrusted certificate, other identity (OMS §8.2). */
export const RULE_UNTRUSTED_SIGNER = defineRuleMeta('BW-SIG-005', 'sign/untrusted-signer', 'Signed by an untrusted key, certificate or identity', 'critical', SIGN_TAGS);
/** The signature file is missing, malformed or inconsistent (OMS §8.1, §8.3). */
export const RULE_INVALID_BUNDLE = defineRuleMeta('BW-SIG-006', 'sign/invalid-bundle', 'Signature bundle is missing, malformed or inconsistent', 'high', SIGN_TAGS);
/** A symlink or special file the signature does not allow (OMS §6.1.1). */
export const RULE_DISALLOWED_ENTRY = defineRuleMeta('BW-SIG-007', 'sign/disallowed-entry', 'Model contains a symlink or special file the signature does not allow', 'high', SIGN_TAGS);

/** Every rule a verify report can carry, in id order. */
export const SIGN_RULES: readonly RuleMeta[] = Object.freeze([
  RULE_CHANGED_FILE,
  RULE_MISSING_FILE,
  RULE_UNSIGNED_FILE,
  RULE_BAD_SIGNATURE,
  RULE_UNTRUSTED_SIGNER,
  RULE_INVALID_BUNDLE,
  RULE_DISALLOWED_ENTRY,
]);

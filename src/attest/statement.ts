import { BulwarkError } from '../errors.js';
import type { Report } from '../report/types.js';
import { BULWARK_PREDICATE_PREFIX, IN_TOTO_STATEMENT_V1, type InTotoStatement } from './types.js';

/** Report kinds that fit in a predicate type URI path segment. */
const KIND_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The predicate type of a report kind: `https://bulwark.dev/attestation/<kind>/v1`. */
export function predicateTypeFor(kind: string): string {
  if (!KIND_PATTERN.test(kind)) throw new BulwarkError('USAGE', `report kind ${JSON.stringify(kind)} cannot name a predicate type (expected lower-case letters, digits and dashes)`);
  return `${BULWARK_PREDICATE_PREFIX}${kind}/v1`;
}

/** The report kind of a Bulwark predicate type, or undefined for any other predicate type. */
export function kindOfPredicateType(predicateType: string): string | undefined {
  if (!predicateType.startsWith(BULWARK_PREDICATE_PREFIX) || !predicateType.endsWith('/v1')) return undefined;
  const kind = predicateType.slice(BULWARK_PREDICATE_PREFIX.length, -'/v1'.length);
  return KIND_PATTERN.test(kind) ? kind : undefined;
}

/**
 * The in-toto Statement v1 about a report's subjects (in-toto attestation spec v1, statement.md):
 * `subject` = the report's subjects by sha256 digest, `predicateType` =
 * `https://bulwark.dev/attestation/<kind>/v1`, `predicate` = the report itself.
 * A statement must name at least one subject (statement.md: "subject ... REQUIRED", non-empty),
 * so a report without subjects (nothing was read) cannot be attested: USAGE error.
 */
export function statementForReport(report: Report): InTotoStatement {
  if (report.subjects.length === 0) {
    throw new BulwarkError(
      'USAGE',
      `the ${report.kind} report of ${report.target} has no subjects: an attestation is a statement about artifacts named by their digests, and this report names none (was anything read? see its errors)`,
    );
  }
  for (const [i, s] of report.subjects.entries()) {
    if (!/^[0-9a-f]{64}$/.test(s.digest.sha256)) {
      throw new BulwarkError('USAGE', `the ${report.kind} report's subjects[${i}] (${s.name}) has no valid sha256 digest (expected 64 lower-case hex digits)`);
    }
  }
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: report.subjects.map((s) => ({ name: s.name, digest: { sha256: s.digest.sha256 } })),
    predicateType: predicateTypeFor(report.kind),
    predicate: report,
  };
}

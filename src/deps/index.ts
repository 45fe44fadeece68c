/**
 * The dependency audit: lockfile facts (shared with the ML-BOM) and OSV matching.
 */
export type { DependencyFact, DependencyReference, Ecosystem, LockfileFacts, LockfileKind } from './types.js';
export {
  findLockfiles,
  parseLockfile,
  readDependencies,
  readDependenciesDetailed,
  lockfileKindOf,
  normalizePypiName,
  normalizeName,
  purlOf,
  parseRequirementLine,
  parseCondaSpec,
  CONDA_TO_PYPI,
  MAX_INCLUDE_DEPTH,
  SKIPPED_DIRS,
  DEFAULT_FIND_LIMITS,
  type LockfileFailure,
  type RequirementLine,
} from './lockfiles/index.js';
export {
  loadOsvDatabase,
  importOsvExports,
  parseOsvRecord,
  validateOsvRecord,
  validatedRecord,
  type StoredRecord,
  packageKey,
  OSV_ECOSYSTEMS,
  DEFAULT_OSV_LIMITS,
  type OsvDatabase,
  type IndexedAffected,
  type LoadOsvDatabaseOptions,
  type ImportOsvExportsOptions,
  type ImportOsvExportsResult,
} from './osv/database.js';
export { osvRecordSchema, type OsvRecord, type OsvAffected, type OsvRange, type OsvEvent } from './osv/schema.js';
export { cvss3BaseScore, cvss4Rating, severityOfScore, recordSeverity, type RecordSeverity } from './osv/severity.js';
export { matchAffected, inRange, parseVersion, compareVersions, publicVersion, orderingOf, type AffectedMatch, type Ordering, type ParsedVersion } from './osv/ranges.js';
export { matchDependency, preferredId, type VulnerabilityMatch } from './osv/match.js';
export { DEPS_RULES, UNPINNED_REQUIREMENT, UNRESOLVABLE_REFERENCE, DEPENDENCY_TAGS, vulnerabilityRuleMeta, osvUrl } from './rules.js';
export { auditDependencies, auditLockfiles, type AuditDependenciesOptions, type AuditLockfilesOptions } from './audit.js';
export { defaultOsvDbDir } from './osv/default-dir.js';

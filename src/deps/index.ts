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

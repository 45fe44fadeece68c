/**
 * An open dataset: one engine session for a profile and any number of validations of the same bytes.
 * What they share is read once: the subject digest, and each modest-cardinality text column's census
 * (one group-by serving the profile's distinct count, lengths and top values AND the value detectors'
 * candidates; see ./census.ts). `profileDataset` and `validateDataset` each open their own session;
 * the profile + suggest + validate job of a new dataset reads less through this handle.
 */
import type { Report } from '../report/types.js';
import { DEFAULT_DETECTORS, type ValueDetector } from './detect/index.js';
import type { CensusStore } from './census.js';
import { profileOpenSession, type DatasetProfile, type ProfileDatasetOptions } from './profile.js';
import { openSubjectSession, type DataSource } from './source.js';
import { DEFAULT_DATA_LIMITS, detectorPatterns, validateSession, type DataLimits, type ValidateDatasetOptions } from './validate.js';

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  /** The dataset file (CSV, Parquet, JSON Lines); also the report target for other sources. */
  readonly path: string;
  /** Another source (a PostgreSQL table); default: the file at `path`. */
  readonly source?: DataSource;
  /** Value detectors of every validation (their candidates are fetched with the censuses); default: {@link DEFAULT_DETECTORS}. */
  readonly detectors?: readonly ValueDetector[];
  /** Bounds of every validation. */
  readonly limits?: Partial<DataLimits>;
  readonly signal?: AbortSignal;
}

/** A dataset open for profiling and validation. Always `close()` it. */
export interface Dataset {
  readonly path: string;
  /** Profiles the dataset (as {@link profileDataset}); a later {@link Dataset.validate} uses this profile. */
  profile(options?: Omit<ProfileDatasetOptions, 'path' | 'source' | 'signal'>): Promise<DatasetProfile>;
  /**
   * Validates the dataset (as {@link validateDataset}, with the handle's detectors and limits). The
   * handle's last profile stands in for `options.profile`: the same session read the same bytes.
   */
  validate(options?: Omit<ValidateDatasetOptions, 'path' | 'source' | 'signal' | 'detectors' | 'limits'>): Promise<Report>;
  close(): Promise<void>;
}

/** Opens a dataset. Unreadable input throws a BulwarkError naming it. */
export async function openDataset(options: OpenDatasetOptions): Promise<Dataset> {
  const { session, subject } = await openSubjectSession(options.source ?? { kind: 'file', path: options.path }, options.signal);
  const detectors = options.detectors ?? DEFAULT_DETECTORS;
  const limits: DataLimits = { ...DEFAULT_DATA_LIMITS, ...options.limits };
  const patterns = detectorPatterns(detectors);
  const store: CensusStore = new Map();
  let lastProfile: DatasetProfile | undefined;
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error(`${options.path}: the dataset handle is closed`);
  };
  return {
    path: options.path,
    async profile(profileOptions = {}) {
      open();
      lastProfile = await profileOpenSession(session, subject, { ...profileOptions, path: options.path, census: { store, patterns, candidateLimit: limits.maxCandidates } });
      return lastProfile;
    },
    async validate(validateOptions = {}) {
      open();
      const profile = validateOptions.profile ?? lastProfile;
      return validateSession(session, subject, { ...validateOptions, ...(profile ? { profile } : {}), path: options.path, detectors, limits }, { census: store, profile: lastProfile });
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.close();
    },
  };
}

/** Drift statistics (see each module for its source in the literature). */
export * from './special.js';
export * from './ks.js';
export * from './distances.js';

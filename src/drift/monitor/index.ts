/** The streaming drift monitor and its sinks. */
export * from './monitor.js';
export * from './sinks.js';
export * from './sketches.js';

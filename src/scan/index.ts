export { scan, DEFAULT_SCAN_OPTIONS, type ScanOptions, type ScanProgress } from './scan.js';
export { collectFiles, IGNORED_DIRECTORIES, type ScanTarget } from './collect-files.js';
export { applySuppressions, type Suppression } from './suppress.js';
export { loadScanConfig, parseScanConfig, ScanConfigSchema, type ScanConfig } from './config.js';
export { detectFormat, extensionOf } from './analyse-source.js';
export type { DetectedFormat } from './sniff.js';

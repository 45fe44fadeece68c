/**
 * Dataset validation, profiling and suite suggestion (`bulwark data`): the public face of src/data.
 * The value detectors (src/data/detect), poisoning signals (src/data/poison) and privacy commands
 * (src/data/privacy) export their own APIs separately.
 */
export { openDataset, type Dataset, type OpenDatasetOptions } from './dataset.js';
export { validateDataset, maskShape, DEFAULT_DATA_LIMITS, type ValidateDatasetOptions, type DataLimits } from './validate.js';
export { profileDataset, renderProfileHtml, PROFILE_QUANTILES, DEFAULT_PROFILE_OPTIONS, type DatasetProfile, type ColumnProfile, type ProfileDatasetOptions } from './profile.js';
export { suggestSuite, suggestFromProfile, DEFAULT_SUGGEST_OPTIONS, type SuggestOptions } from './suggest.js';
export { loadSuite, parseSuite, renderSuiteYaml, SUITE_SCHEMA, EXPECTATION_SCHEMA, type ExpectationSuite, type Expectation, type ExpectationType } from './suite.js';
export { DATA_RULES, ruleForExpectation } from './rules.js';
export { openDataSession, columnKindOf, type DataSource, type DataSession, type ColumnInfo, type ColumnKind } from './source.js';
export { compileScan, compileGroupQuery, compilePredicate, type ScanMetric, type GroupQuery, type Predicate, type Relation } from './plan.js';
export { DUCKDB_DIALECT, postgresDialect, type Dialect, type DialectName } from './dialect.js';
export { openDuckDb, detectDatasetFormat, datasetReaderSql, quoteIdent, type DatasetFormat, type DuckDbOptions, type DuckDbSession } from './duckdb.js';
export type { PoisonInput, PoisonSuspicion, PoisonResult } from './poison/index.js';
export type { ValueDetector } from './detect/index.js';

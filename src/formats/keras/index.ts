/**
 * Keras model formats: Keras 2 HDF5 (`.h5`), Keras 3 `.keras` zips, and the per-object JSON of
 * TensorFlow's `keras_metadata.pb`. All of them come down to a JSON model config, walked by
 * {@link parseKerasConfigJson}.
 */
export {
  DEFAULT_KERAS_CONFIG_LIMITS,
  describeKerasOrigin,
  parseKerasConfigJson,
  parseKerasMetadataJson,
  parseKerasV3Config,
  type KerasConfigLimits,
  type KerasConfigOptions,
  type KerasZipMetadata,
} from './config-walker.js';
export {
  emptyKerasFacts,
  mergeKerasFacts,
  type KerasDocument,
  type KerasExternalPath,
  type KerasFacts,
  type KerasFunctionSpec,
  type KerasLambda,
  type KerasLayer,
  type KerasObjectRef,
  type KerasObjectRole,
  type KerasOrigin,
  type KerasProblem,
  type KerasTfOpCall,
} from './facts.js';
export { parseKerasH5, summariseHdf5Error, type KerasH5Options, type KerasH5Path } from './parse-h5.js';
export { HDF5_SIGNATURE, sniffHdf5, sniffKerasZip } from './sniff.js';

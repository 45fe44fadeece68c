/**
 * Facts about a Keras model's configuration, as stored in a Keras 2 HDF5 file (root attributes
 * `model_config` / `training_config`), a Keras 3 `.keras` zip (`config.json`, `metadata.json`) or a
 * TensorFlow SavedModel's `keras_metadata.pb` (per-object JSON). Facts only: no severities here.
 */

/** Which JSON document a fact comes from. */
export type KerasOrigin = 'keras-v3' | 'h5-model_config' | 'h5-training_config' | 'keras_metadata';

/**
 * What a serialized Keras object is used as, from the key it sits under in its parent config
 * (Keras deserialises each through the matching `keras.<role>s.deserialize`, which all end in
 * `serialization_lib.deserialize_keras_object` / legacy `deserialize_keras_object`).
 */
export type KerasObjectRole =
  | 'layer'
  | 'activation'
  | 'initializer'
  | 'regularizer'
  | 'constraint'
  | 'loss'
  | 'metric'
  | 'optimizer'
  | 'function'
  | 'dtype-policy'
  | 'other';

/**
 * One serialized Keras object: any JSON object with a string `class_name`, in either the Keras 2
 * form `{"class_name", "config"}` or the Keras 3 form `{"module", "class_name", "config",
 * "registered_name"}`. Special value markers (`__tensor__`, `__keras_tensor__`, `__numpy__`, ...)
 * carry no module and are not recorded.
 */
export interface KerasObjectRef {
  origin: KerasOrigin;
  /** RFC 6901 JSON pointer of the object inside its document. */
  pointer: string;
  role: KerasObjectRole;
  class_name: string;
  /** The `module` field (Keras 3 and tf-keras >= 2.13), when a string. */
  module?: string;
  /** The `registered_name` field, when a string (`package>Name` for registered custom objects). */
  registered_name?: string;
  /** The layer or object name from `config.name` (or the functional `name`), when a string. */
  name?: string;
  /**
   * What Python would import: `module.class_name` for classes; for a function reference
   * (`class_name: "function"`, Keras 3) `module.<config>`; otherwise `class_name` (which may
   * itself be dotted). Always set.
   */
  qualifiedName: string;
}

/** A layer (an object in a layer position, or any object whose class is a layer class). */
export type KerasLayer = KerasObjectRef & { role: 'layer' };

/** How a Lambda layer's function (or its `output_shape`) is given. */
export type KerasFunctionSpec =
  | {
      /** Marshalled Python bytecode (Keras `func_dump`), run by `func_load` on load. */
      kind: 'bytecode';
      pointer: string;
      /** Where it was stored: Keras 2 `[code, defaults, closure]` tuple, bare string, or Keras 3 `__lambda__`. */
      format: 'keras2-tuple' | 'keras2-string' | 'keras3-lambda';
      /** Length of the encoded text as stored. */
      encodedLength: number;
      /** Bytes after base64 decoding, when the text is base64; undefined for raw (Keras 1) text. */
      decodedLength?: number;
    }
  | {
      /** A named function looked up at load time: `module` + `name`. */
      kind: 'reference';
      pointer: string;
      module?: string;
      name: string;
      /** Keras 2 `function_type: "function"` or a Keras 3 `{"class_name": "function"}` object. */
      format: 'keras2-function' | 'keras3-function' | 'keras2-raw';
    }
  | { kind: 'unknown'; pointer: string; detail: string };

/** A `Lambda` layer: its function is Python code that runs when the model is loaded or called. */
export interface KerasLambda {
  origin: KerasOrigin;
  /** Pointer of the Lambda layer object. */
  pointer: string;
  name?: string;
  /** The class name as written (`Lambda`, or a module/registered spelling of it). */
  class_name: string;
  function: KerasFunctionSpec;
  /** A second function for `output_shape`, when it is code or a reference (not a plain shape). */
  outputShape?: KerasFunctionSpec;
  /** Keys of the `arguments` dict passed to the function (CVE-2025-9906 passes `safe_mode` here). */
  argumentKeys: string[];
}

/** A TensorFlow-op layer (`TFOpLambda`, `SlicingOpLambda`): calls `tf.<function>` by name. */
export interface KerasTfOpCall {
  origin: KerasOrigin;
  pointer: string;
  name?: string;
  /** The `function` field (`math.add`, `io.write_file`), relative to the `tf` namespace. */
  function: string;
}

/** A file path or URL a layer reads on load (e.g. `StringLookup(vocabulary="/etc/passwd")`). */
export interface KerasExternalPath {
  origin: KerasOrigin;
  pointer: string;
  layer?: string;
  class_name: string;
  field: string;
  value: string;
}

/** Something wrong with a document: it could not be read or exceeded a bound. */
export interface KerasProblem {
  origin: KerasOrigin | 'h5';
  kind: 'invalid-json' | 'too-large' | 'too-deep' | 'too-many-nodes' | 'not-a-model' | 'bad-attribute';
  /** Where in the document, when known. */
  pointer?: string;
  message: string;
}

/** A JSON document that was (or was meant to be) walked. */
export interface KerasDocument {
  origin: KerasOrigin;
  /** Length of the text in UTF-16 code units (JS string length). */
  length: number;
  /** True when the document was parsed and walked to the end. */
  complete: boolean;
}

/** Everything Bulwark knows about one Keras model file (or one keras_metadata entry). */
export interface KerasFacts {
  kind: 'keras';
  /** Where the configuration was read from. */
  container: 'h5' | 'keras-zip' | 'json';
  /** `keras_version` attribute (HDF5) or `metadata.json` field (.keras). */
  keras_version?: string;
  /** `backend` attribute (HDF5), when present. */
  backend?: string;
  documents: KerasDocument[];
  layers: KerasLayer[];
  /** Every non-layer serialized object (activations, initializers, losses, optimizers, functions...). */
  objects: KerasObjectRef[];
  lambdas: KerasLambda[];
  tfOps: KerasTfOpCall[];
  externalPaths: KerasExternalPath[];
  problems: KerasProblem[];
  /** True when the per-document record cap was reached and later objects were counted, not kept. */
  truncated: boolean;
}

/** An empty fact set for `container`. */
export function emptyKerasFacts(container: KerasFacts['container']): KerasFacts {
  return { kind: 'keras', container, documents: [], layers: [], objects: [], lambdas: [], tfOps: [], externalPaths: [], problems: [], truncated: false };
}

/** Appends `b`'s records to `a` (same model, several documents); `a`'s version fields win. */
export function mergeKerasFacts(a: KerasFacts, b: KerasFacts): KerasFacts {
  const out: KerasFacts = {
    ...a,
    documents: [...a.documents, ...b.documents],
    layers: [...a.layers, ...b.layers],
    objects: [...a.objects, ...b.objects],
    lambdas: [...a.lambdas, ...b.lambdas],
    tfOps: [...a.tfOps, ...b.tfOps],
    externalPaths: [...a.externalPaths, ...b.externalPaths],
    problems: [...a.problems, ...b.problems],
    truncated: a.truncated || b.truncated,
  };
  if (out.keras_version === undefined && b.keras_version !== undefined) out.keras_version = b.keras_version;
  if (out.backend === undefined && b.backend !== undefined) out.backend = b.backend;
  return out;
}

import { extname } from 'node:path';
import { BulwarkError } from '../errors.js';
import { parseGguf } from '../formats/gguf/index.js';
import { parseOnnx } from '../formats/onnx/index.js';
import { parseSafetensors } from '../formats/safetensors/index.js';
import { openFileSource, resolveLimits } from '../io/index.js';

/** Weight formats Bulwark parses for the BOM (the same parsers the scanner uses). */
export type ParsedWeightFormat = 'safetensors' | 'gguf' | 'onnx';

/** File extensions of model weights: parsed ones, and ones only listed (pickle-based, Keras, TF). */
export const WEIGHT_EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({
  '.safetensors': 'safetensors',
  '.gguf': 'gguf',
  '.onnx': 'onnx',
  '.bin': 'pytorch',
  '.pt': 'pytorch',
  '.pth': 'pytorch',
  '.ckpt': 'pytorch',
  '.pkl': 'pickle',
  '.joblib': 'joblib',
  '.h5': 'keras-h5',
  '.keras': 'keras',
  '.pb': 'tensorflow',
  '.tflite': 'tflite',
});

/** The format a weight file's extension names, or undefined for a file that is not weights. */
export function weightFormatOf(name: string): string | undefined {
  return WEIGHT_EXTENSIONS[extname(name).toLowerCase()];
}

/** What the parsed weights say: counted from tensor shapes, never from the card's claims. */
export interface WeightFacts {
  file: string;
  format: string;
  /** Elements over all tensors; undefined when the format is not parsed. */
  parameters?: number;
  /** Tensor element types, with the number of parameters of each. */
  dtypes: Record<string, number>;
  tensors?: number;
  /** Set when the file could not be parsed: what went wrong (the BOM still lists the file). */
  error?: string;
}

/** ONNX TensorProto.DataType names (onnx.proto, enum DataType). */
const ONNX_TYPES: Readonly<Record<number, string>> = {
  1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL', 10: 'FLOAT16',
  11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16', 17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4', 23: 'FLOAT4E2M1', 24: 'FLOAT8E8M0',
};

function product(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

function add(dtypes: Record<string, number>, dtype: string, n: number): void {
  dtypes[dtype] = (dtypes[dtype] ?? 0) + n;
}

/**
 * Parses one weight file (bounded: headers and tensor infos only, never the tensor bytes of
 * safetensors or GGUF) and counts its parameters per dtype. A parse failure is returned as
 * `error`, not thrown: the BOM still names the file and its digest.
 */
export async function readWeightFacts(path: string, uri: string, signal?: AbortSignal): Promise<WeightFacts> {
  const format = weightFormatOf(uri) ?? 'unknown';
  const facts: WeightFacts = { file: uri, format, dtypes: {} };
  if (format !== 'safetensors' && format !== 'gguf' && format !== 'onnx') return facts;
  let src;
  try {
    src = await openFileSource(path, uri);
  } catch (err) {
    return { ...facts, error: `cannot open (${(err as Error).message})` };
  }
  try {
    switch (format) {
      case 'safetensors': {
        const st = await parseSafetensors(src, signal ? { signal } : {});
        if (!st.headerParsed) return { ...facts, error: st.violations[0]?.message ?? 'the header could not be read' };
        let total = 0;
        for (const t of st.tensors) {
          const n = product(t.shape);
          total += n;
          add(facts.dtypes, t.dtype, n);
        }
        return { ...facts, parameters: total, tensors: st.tensors.length };
      }
      case 'gguf': {
        const g = await parseGguf(src, signal ? { signal } : {});
        let total = 0;
        for (const t of g.tensors) {
          const n = product(t.dims);
          total += n;
          add(facts.dtypes, t.typeName ?? `type-${t.type}`, n);
        }
        return { ...facts, parameters: total, tensors: g.tensorCount, ...(g.complete ? {} : { error: g.problems[0]?.message ?? 'incomplete' }) };
      }
      case 'onnx': {
        const o = await parseOnnx(src, { limits: resolveLimits(), signal });
        let total = 0;
        for (const t of o.tensors) {
          if (t.origin !== 'initializer' || t.dims.some((d) => !Number.isFinite(d) || d < 0)) continue;
          const n = product(t.dims);
          total += n;
          add(facts.dtypes, ONNX_TYPES[t.dataType] ?? `type-${t.dataType}`, n);
        }
        const partial = o.tensors.length < o.tensorCount;
        const error = o.error?.message ?? (partial ? `only ${o.tensors.length} of ${o.tensorCount} tensors were retained; the count is a lower bound` : undefined);
        return { ...facts, parameters: total, tensors: o.tensorCount, ...(error !== undefined ? { error } : {}) };
      }
      default: {
        const never: never = format;
        return never;
      }
    }
  } catch (err) {
    if (err instanceof BulwarkError && err.code === 'ABORTED') throw err;
    return { ...facts, error: (err as Error).message };
  } finally {
    await src.close();
  }
}

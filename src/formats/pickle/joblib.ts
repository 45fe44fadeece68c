/**
 * joblib's NumpyArrayWrapper (joblib/numpy_pickle.py): `NumpyUnpickler.load_build` runs BUILD, and
 * when the object is a NumpyArrayWrapper, `read_array` reads the array straight from the file right
 * after that BUILD opcode: for an object dtype a whole pickle (`pickle.dump(array, protocol=2)`);
 * otherwise, when the state has a non-None `numpy_array_alignment_bytes` (joblib >= 1.2), one byte
 * giving a padding length and that many padding bytes, then `prod(shape) * dtype.itemsize` raw bytes.
 */
import { dictGet, dtypeItemSize, type Value } from './values.js';

/** What to skip (or parse) after a NumpyArrayWrapper's BUILD. */
export type JoblibLayout =
  | { kind: 'raw'; dtype: string; bytes: number; padded: boolean }
  | { kind: 'object'; dtype: string };

/** NumPy's NPY_ITEM_HASOBJECT flag in a pickled dtype state: the array holds Python objects. */
const NPY_ITEM_HASOBJECT = 0x01;

function intOf(v: Value | undefined): number | undefined {
  return v?.k === 'int' && Number.isSafeInteger(v.v) ? v.v : undefined;
}

/**
 * The layout of the array data that follows a wrapper whose BUILD state is `state`, or a message
 * saying what could not be determined (the caller must not guess and misparse raw bytes as opcodes).
 */
export function joblibLayout(state: Value | undefined): JoblibLayout | string {
  if (state?.k !== 'dict') return 'joblib NumpyArrayWrapper state is not a dict';
  const dtypeVal = dictGet(state, 'dtype');
  if (dtypeVal?.k !== 'call' || dtypeVal.fn.kind !== 'global' || dtypeVal.fn.name !== 'dtype') {
    return 'joblib NumpyArrayWrapper has no numpy.dtype(...) dtype';
  }
  const arg = dtypeVal.args.k === 'tuple' ? dtypeVal.args.items[0] : undefined;
  if (arg?.k !== 'str' || arg.cut) return 'joblib NumpyArrayWrapper dtype has no type string';
  const parsed = dtypeItemSize(arg.v);
  // numpy's dtype state tuple: (version, byteorder, subarray, names, fields, elsize, alignment, flags).
  const dstate = dtypeVal.state?.k === 'tuple' ? dtypeVal.state.items : [];
  const byteorder = dstate[1]?.k === 'str' ? dstate[1].v : '';
  const elsize = intOf(dstate[5]);
  const flags = intOf(dstate[7]);
  const itemsize = elsize !== undefined && elsize > 0 ? elsize : parsed?.itemsize;
  if (itemsize === undefined) return `joblib NumpyArrayWrapper dtype ${JSON.stringify(arg.v)} has an unknown item size`;
  const dtype = `${byteorder === '<' || byteorder === '>' ? byteorder : ''}${arg.v}`;
  const object = (parsed?.object ?? false) || (flags !== undefined && (flags & NPY_ITEM_HASOBJECT) !== 0);
  if (object) return { kind: 'object', dtype };

  const shape = dictGet(state, 'shape');
  if (shape?.k !== 'tuple' || shape.items.length !== shape.n) return 'joblib NumpyArrayWrapper has no shape tuple';
  let count = 1;
  for (const dim of shape.items) {
    const n = intOf(dim);
    if (n === undefined || n < 0) return 'joblib NumpyArrayWrapper shape holds a non-integer dimension';
    count *= n;
  }
  const bytes = count * itemsize;
  if (!Number.isSafeInteger(bytes)) return 'joblib NumpyArrayWrapper array size overflows';
  const align = dictGet(state, 'numpy_array_alignment_bytes');
  return { kind: 'raw', dtype, bytes, padded: align !== undefined && align.k !== 'none' };
}

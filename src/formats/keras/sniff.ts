/**
 * Recognising Keras containers. A Keras 3 `.keras` file is a zip written by
 * `keras/src/saving/saving_lib.py` (`save_model`): `metadata.json`, `config.json` and the weights
 * (`model.weights.h5`, or `model.weights.npz` with `weights_format="npz"`), all at the archive
 * root, plus an optional `assets/` folder. A Keras 2 `.h5` file is plain HDF5 (sniffed by the
 * HDF5 signature; see {@link HDF5_SIGNATURE}).
 */

/** The HDF5 format signature (HDF5 File Format Specification, section II.A "Format Signature"). */
export const HDF5_SIGNATURE: Readonly<Uint8Array> = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * True when a zip's member names are those of a Keras 3 `.keras` archive: `config.json` at the
 * root together with `metadata.json` and/or a root `model.weights.h5` / `model.weights.npz`.
 * Names are compared exactly as stored (Keras writes them without a folder or `./` prefix).
 */
export function sniffKerasZip(entryNames: readonly string[]): boolean {
  const names = new Set(entryNames);
  if (!names.has('config.json')) return false;
  return names.has('metadata.json') || names.has('model.weights.h5') || names.has('model.weights.npz');
}

/**
 * True when `head` starts with the HDF5 signature. HDF5 also allows the superblock at 512, 1024,
 * 2048... bytes (a user block before it); Keras never writes one, and h5wasm finds it either way,
 * so the scanner's own sniffer decides whether to try those offsets.
 */
export function sniffHdf5(head: Uint8Array): boolean {
  return head.length >= HDF5_SIGNATURE.length && HDF5_SIGNATURE.every((b, i) => head[i] === b);
}

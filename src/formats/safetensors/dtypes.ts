/**
 * safetensors dtypes and their sizes in bits (safetensors `Dtype` enum, src/tensor.rs, up to
 * 0.6: sub-byte float formats F4, F6_E2M3, F6_E3M2 are packed, so a tensor's byte size is
 * elements x bits / 8 and must come out whole).
 */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
});

/** Bits per element of `dtype`, or undefined for a dtype the spec does not define. */
export function dtypeBits(dtype: string): number | undefined {
  return Object.hasOwn(SAFETENSORS_DTYPE_BITS, dtype) ? SAFETENSORS_DTYPE_BITS[dtype] : undefined;
}

"""Benchmark inputs for bench/run.mjs (run with /usr/bin/python3, which has torch).

    gen_inputs.py checkpoint <out> <rows>   PyTorch zip checkpoint: 4 float32 tensors of rows x 1024
    gen_inputs.py pickle <out> <min_bytes>  protocol 4 pickle of a flat list of small ints, floats and
                                            short strings, at least min_bytes long

Each file is written to <out>.tmp and renamed, so an interrupted run never leaves a file that
looks complete. The checkpoints differ only in the row count: the same keys, dtypes and pickle
structure, so a scanner that reads only the pickle member should take the same time on both.
"""
import os
import pickle
import sys

TENSORS = 4
COLS = 1024


def checkpoint(out, rows):
    import torch  # imported here so the pickle mode works without torch

    state = {f'layers.{i}.weight': torch.zeros(rows, COLS, dtype=torch.float32) for i in range(TENSORS)}
    with open(out + '.tmp', 'wb') as f:
        torch.save(state, f)  # a file object (not a path) names the zip folder archive/ for every size
    os.replace(out + '.tmp', out)


def opcode_pickle(out, min_bytes):
    # Per item triple: BININT1 (2 bytes), BINFLOAT (9), BINGET of an already memoized string (2):
    # about 13 bytes for 3 opcodes. Reusing 256 string objects keeps the memo small, as in real
    # pickles where repeated keys are memo references.
    strings = [f'tok{i:03d}' for i in range(256)]
    floats = [i * 0.25 for i in range(64)]
    triples = min_bytes // 13 + 1
    items = []
    append = items.append
    for i in range(triples):
        append(i & 0xFF)
        append(floats[i & 63])
        append(strings[i & 0xFF])
    with open(out + '.tmp', 'wb') as f:
        pickle.dump(items, f, protocol=4)
    if os.path.getsize(out + '.tmp') < min_bytes:
        raise SystemExit(f'{out}: pickle came out smaller than {min_bytes} bytes')
    os.replace(out + '.tmp', out)


if __name__ == '__main__':
    kind, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == 'checkpoint':
        checkpoint(out, n)
    elif kind == 'pickle':
        opcode_pickle(out, n)
    else:
        raise SystemExit(f'unknown input kind {kind}')

import { open, type FileHandle } from 'node:fs/promises';

/**
 * Random-access bytes of one artifact: a file on disk or a member extracted from an archive.
 * Parsers read through this so that a 2 GB checkpoint is never loaded whole: only the ranges
 * a parser asks for are read.
 */
export interface ByteSource {
  /** The top-level file as the user named it (relative to the scan root when possible). */
  readonly uri: string;
  /** Archive member chain inside `uri`, joined with `!` (e.g. `model.zip!archive/data.pkl`). */
  readonly member?: string;
  /** Total size in bytes. */
  readonly size: number;
  /** Reads up to `length` bytes at `offset`; shorter only at end of source. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A ByteSource backed by an open file; close it when done. */
export interface FileByteSource extends ByteSource {
  /** Bytes read from disk so far (the scanner reports it: only what parsers need is read). */
  readonly bytesRead: number;
  close(): Promise<void>;
}

/** Opens `path` for random reads. `uri` is what findings will name. */
export async function openFileSource(path: string, uri: string): Promise<FileByteSource> {
  const fh: FileHandle = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    let total = 0;
    return {
      uri,
      size,
      get bytesRead(): number {
        return total;
      },
      async read(offset: number, length: number): Promise<Uint8Array> {
        const want = Math.max(0, Math.min(length, size - offset));
        const buf = new Uint8Array(want);
        let got = 0;
        while (got < want) {
          const { bytesRead } = await fh.read(buf, got, want - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        total += got;
        return got === want ? buf : buf.subarray(0, got);
      },
      close: () => fh.close(),
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** A ByteSource over bytes already in memory (an inflated archive member, a test fixture). */
export function bufferSource(bytes: Uint8Array, uri: string, member?: string): ByteSource {
  const src: ByteSource = {
    uri,
    size: bytes.length,
    read(offset: number, length: number): Promise<Uint8Array> {
      const start = Math.max(0, Math.min(offset, bytes.length));
      return Promise.resolve(bytes.subarray(start, Math.min(bytes.length, start + Math.max(0, length))));
    },
  };
  return member === undefined ? src : { ...src, member };
}

/** A window [start, start+length) of another source, as its own source (a stored zip member). */
export function sliceSource(parent: ByteSource, start: number, length: number, member: string): ByteSource {
  const size = Math.max(0, Math.min(length, parent.size - start));
  return {
    uri: parent.uri,
    member,
    size,
    read(offset: number, len: number): Promise<Uint8Array> {
      const o = Math.max(0, Math.min(offset, size));
      return parent.read(start + o, Math.min(len, size - o));
    },
  };
}

/** `uri`, or `uri!member` inside an archive: how messages and errors name a source. */
export function describeSource(src: Pick<ByteSource, 'uri' | 'member'>): string {
  return src.member === undefined ? src.uri : `${src.uri}!${src.member}`;
}

/** Joins an archive member chain: `a.zip` + `inner.pt` -> `inner.pt`, `x!y` + `z` -> `x!y!z`. */
export function childMember(parent: ByteSource, name: string): string {
  return parent.member === undefined ? name : `${parent.member}!${name}`;
}

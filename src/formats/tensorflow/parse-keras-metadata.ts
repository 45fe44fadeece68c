/**
 * `keras_metadata.pb`, written beside `saved_model.pb` by tf.keras (TF 2.5+, Keras 2): a
 * SavedMetadata proto (keras/protobuf/saved_metadata.proto: `repeated SavedObject nodes = 1`;
 * SavedObject: node_id 2, node_path 3, identifier 4, metadata 5 (a JSON string), version 6).
 * The JSON holds each layer's `class_name` and `config`; a `Lambda` layer's config carries its
 * function as marshalled Python bytecode, which Keras rebuilds and runs on load. The JSON is parsed
 * with JSON.parse (never evaluated) and walked iteratively with a value budget.
 */
import { z } from 'zod';
import { BulwarkError, isBulwarkError } from '../../errors.js';
import { describeSource, type ByteSource } from '../../io/byte-source.js';
import type { Limits } from '../../io/limits.js';
import { createLimitedProtoReader, errorOffset, readFields, readPayload, readString, scanHead } from '../protobuf/index.js';
import type { KerasLayer, TfKerasMetadataFacts } from './facts.js';

/** Options of parseKerasMetadata. */
export interface ParseKerasMetadataOptions {
  limits: Limits;
  signal?: AbortSignal | undefined;
  now?: (() => number) | undefined;
}

/** JSON bytes read per SavedObject; a model's metadata is a few hundred KB. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** JSON bytes read over the whole file. */
const MAX_TOTAL_JSON_BYTES = 128 * 1024 * 1024;
/** JSON values visited over the whole file. */
const MAX_JSON_VALUES = 5_000_000;
/** Layers recorded. */
const MAX_LAYERS = 100_000;

/** keras_metadata.pb sniff: the name, and a head that starts with SavedMetadata.nodes (field 1, length-delimited). */
export function sniffKerasMetadata(head: Uint8Array, name: string, size?: number): boolean {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'), name.lastIndexOf('!')) + 1).toLowerCase();
  if (base !== 'keras_metadata.pb') return false;
  const first = scanHead(head, 4, size)?.[0];
  return first?.field === 1 && first.wire === 2;
}

/** The fields of a serialised Keras object we read; anything else passes through untouched. */
const KerasObject = z
  .object({
    class_name: z.string(),
    module: z.string().nullish(),
    registered_name: z.string().nullish(),
    config: z
      .object({
        name: z.string().nullish(),
        function_type: z.string().nullish(),
        module: z.string().nullish(),
        function: z.unknown().optional(),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();

function lambdaType(fn: unknown, declared: string | null | undefined): string | undefined {
  if (typeof declared === 'string') return declared;
  // Keras 3 style: {"class_name": "__lambda__", "config": {"code": ...}}
  if (typeof fn === 'object' && fn !== null && 'class_name' in fn && fn.class_name === '__lambda__') return 'lambda';
  if (Array.isArray(fn)) return 'lambda';
  if (typeof fn === 'string') return 'function';
  return undefined;
}

function escapePointer(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Collects every object with a `class_name` in `json`, iteratively (no recursion on hostile nesting). */
function collectLayers(json: unknown, base: Omit<KerasLayer, 'className' | 'pointer'>, out: KerasLayer[], budget: { values: number; where: string }): void {
  const stack: { v: unknown; p: string }[] = [{ v: json, p: '' }];
  while (stack.length > 0) {
    const { v, p } = stack.pop() ?? { v: undefined, p: '' };
    if (--budget.values < 0) throw new BulwarkError('LIMIT_EXCEEDED', `${budget.where}: more than ${MAX_JSON_VALUES} JSON values in keras metadata`);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i] as unknown, p: `${p}/${i}` });
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    const parsed = KerasObject.safeParse(v);
    if (parsed.success && out.length < MAX_LAYERS) {
      const o = parsed.data;
      const layer: KerasLayer = { ...base, className: o.class_name, pointer: p };
      if (o.config?.name != null) layer.name = o.config.name;
      if (o.module != null) layer.module = o.module;
      if (o.registered_name != null) layer.registeredName = o.registered_name;
      if (o.class_name === 'Lambda') {
        const t = lambdaType(o.config?.function, o.config?.function_type);
        if (t !== undefined) layer.functionType = t;
        if (o.config?.module != null) layer.functionModule = o.config.module;
      }
      out.push(layer);
    }
    for (const [k, child] of Object.entries(v)) {
      if (typeof child === 'object' && child !== null) stack.push({ v: child, p: `${p}/${escapePointer(k)}` });
    }
  }
}

/**
 * Parses keras_metadata.pb. Broken wire data ends the walk with `facts.error`; metadata that is
 * not JSON is listed in `badJson`. Throws LIMIT_EXCEEDED on a limit and ABORTED on the signal.
 */
export async function parseKerasMetadata(src: ByteSource, opts: ParseKerasMetadataOptions): Promise<TfKerasMetadataFacts> {
  const r = createLimitedProtoReader(src, opts);
  const facts: TfKerasMetadataFacts = { kind: 'tf-keras-metadata', objectCount: 0, layers: [], badJson: [] };
  const budget = { values: MAX_JSON_VALUES, where: describeSource(src) };
  let jsonBytes = 0;
  const decoder = new TextDecoder('utf-8', { fatal: false });
  try {
    for await (const f of readFields(r, 0, src.size, 0)) {
      if (f.field !== 1 || f.kind !== 'bytes') continue;
      facts.objectCount += 1;
      let path = '';
      let identifier = '';
      let metadata: { start: number; length: number } | undefined;
      for await (const g of readFields(r, f.start, f.start + f.length, 1)) {
        if (g.kind !== 'bytes') continue;
        if (g.field === 3) path = await readString(r, g, 1024);
        else if (g.field === 4) identifier = await readString(r, g, 1024);
        else if (g.field === 5) metadata = { start: g.start, length: g.length };
      }
      if (metadata === undefined || metadata.length === 0) continue;
      if (metadata.length > MAX_JSON_BYTES || jsonBytes + metadata.length > MAX_TOTAL_JSON_BYTES) {
        facts.badJson.push({ offset: f.offset, path, message: `metadata of ${metadata.length} bytes is over the ${MAX_JSON_BYTES}-byte (per object) or ${MAX_TOTAL_JSON_BYTES}-byte (per file) limit; not read` });
        continue;
      }
      jsonBytes += metadata.length;
      const { bytes } = await readPayload(r, metadata, MAX_JSON_BYTES);
      let json: unknown;
      try {
        json = JSON.parse(decoder.decode(bytes));
      } catch (err) {
        facts.badJson.push({ offset: f.offset, path, message: err instanceof Error ? err.message : String(err) });
        continue;
      }
      collectLayers(json, { path, identifier, offset: f.offset }, facts.layers, budget);
    }
  } catch (err) {
    if (!isBulwarkError(err, 'PARSE_ERROR')) throw err;
    facts.error = { offset: errorOffset(err) ?? 0, message: err.message };
  }
  return facts;
}

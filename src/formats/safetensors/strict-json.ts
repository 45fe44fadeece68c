/**
 * A strict, bounded JSON (RFC 8259) reader for safetensors headers. `JSON.parse` is not enough here:
 * it silently keeps the last of two equal keys (so two readers of the same file can disagree on
 * which tensor a name means), it has no depth bound, and it loses the exact text of big integers
 * (offsets are u64 in the spec). This reader keeps integers as their digits, records every
 * duplicate key with its JSON pointer, and stops at a depth bound.
 */

/** A JSON value with the positions rules need; numbers keep their source text. */
export type JsonValue =
  | { t: 'object'; entries: JsonEntry[]; pos: number }
  | { t: 'array'; items: JsonValue[]; pos: number }
  | { t: 'string'; value: string; pos: number }
  | { t: 'number'; raw: string; pos: number }
  | { t: 'bool'; value: boolean; pos: number }
  | { t: 'null'; pos: number };

/** One member of a JSON object, in source order (duplicates included). */
export interface JsonEntry {
  key: string;
  value: JsonValue;
  /** Character position of the key in the header text. */
  pos: number;
}

/** A key that occurs more than once in the same object. */
export interface DuplicateKey {
  /** JSON pointer of the object holding it ('' for the top level). */
  pointer: string;
  key: string;
  /** Character position of the second (or later) occurrence. */
  pos: number;
}

/** Why the text is not JSON, and where. */
export class JsonSyntaxError extends Error {
  /** Character position in the text. */
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(`${message} at character ${pos}`);
    this.name = 'JsonSyntaxError';
    this.pos = pos;
  }
}

/** Bounds of {@link parseStrictJson}. */
export interface StrictJsonLimits {
  /** Nesting depth of arrays/objects (a safetensors header needs 3). */
  maxDepth: number;
  /** Values in the whole document. */
  maxValues: number;
}

/** The result: the value, and the duplicate keys found on the way. */
export interface StrictJsonResult {
  value: JsonValue;
  duplicates: DuplicateKey[];
}

/** Escapes a key for a JSON pointer (RFC 6901 section 4). */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Parses `text` as exactly one JSON value (surrounding whitespace allowed, as serde_json allows it).
 * Throws {@link JsonSyntaxError} on any deviation from RFC 8259, or when a bound is exceeded.
 */
export function parseStrictJson(text: string, limits: StrictJsonLimits): StrictJsonResult {
  let i = 0;
  let values = 0;
  const duplicates: DuplicateKey[] = [];

  const skipWs = (): void => {
    while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  };
  const fail = (msg: string): never => {
    throw new JsonSyntaxError(msg, i);
  };
  const count = (): void => {
    values += 1;
    if (values > limits.maxValues) fail(`more than ${limits.maxValues} JSON values`);
  };

  const readString = (): string => {
    // RFC 8259 section 7: no raw control characters; only the listed escapes.
    const start = i;
    i++;
    let out = '';
    let run = i;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('raw control character in string');
      if (c === 0x5c) {
        out += text.slice(run, i);
        const e = text[i + 1];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          case undefined:
          default:
            fail('bad escape in string');
        }
        i += 2;
        run = i;
        continue;
      }
      i++;
    }
    i = start;
    return fail('unterminated string');
  };

  const readNumber = (): string => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0].length === 0) return fail('bad number');
    if (m[0].length >= 400) fail('number longer than 400 characters');
    i += m[0].length;
    return m[0];
  };

  const readValue = (depth: number, pointer: string): JsonValue => {
    skipWs();
    count();
    const pos = i;
    const c = text[i];
    switch (c) {
      case '{': {
        if (depth >= limits.maxDepth) fail(`nesting deeper than ${limits.maxDepth}`);
        i++;
        const entries: JsonEntry[] = [];
        const seen = new Set<string>();
        skipWs();
        if (text[i] === '}') {
          i++;
          return { t: 'object', entries, pos };
        }
        for (;;) {
          skipWs();
          if (text[i] !== '"') fail('expected a string key');
          const kpos = i;
          const key = readString();
          if (seen.has(key)) duplicates.push({ pointer, key, pos: kpos });
          seen.add(key);
          skipWs();
          if (text[i] !== ':') fail("expected ':'");
          i++;
          const value = readValue(depth + 1, `${pointer}/${pointerToken(key)}`);
          entries.push({ key, value, pos: kpos });
          skipWs();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === '}') {
            i++;
            return { t: 'object', entries, pos };
          }
          fail("expected ',' or '}'");
        }
      }
      case '[': {
        if (depth >= limits.maxDepth) fail(`nesting deeper than ${limits.maxDepth}`);
        i++;
        const items: JsonValue[] = [];
        skipWs();
        if (text[i] === ']') {
          i++;
          return { t: 'array', items, pos };
        }
        for (;;) {
          items.push(readValue(depth + 1, `${pointer}/${items.length}`));
          skipWs();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === ']') {
            i++;
            return { t: 'array', items, pos };
          }
          fail("expected ',' or ']'");
        }
      }
      case '"':
        return { t: 'string', value: readString(), pos };
      case 't':
        if (text.startsWith('true', i)) {
          i += 4;
          return { t: 'bool', value: true, pos };
        }
        return fail('bad literal');
      case 'f':
        if (text.startsWith('false', i)) {
          i += 5;
          return { t: 'bool', value: false, pos };
        }
        return fail('bad literal');
      case 'n':
        if (text.startsWith('null', i)) {
          i += 4;
          return { t: 'null', pos };
        }
        return fail('bad literal');
      case undefined:
        return fail('unexpected end of JSON');
      default:
        return { t: 'number', raw: readNumber(), pos };
    }
  };

  const value = readValue(0, '');
  skipWs();
  if (i < text.length) fail('unexpected data after the JSON value');
  return { value, duplicates };
}

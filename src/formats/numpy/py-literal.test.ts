import { describe, expect, it } from 'vitest';

import { parsePyLiteral, renderPyLiteral, type PyLiteral } from './py-literal.js';

function value(text: string): PyLiteral {
  const r = parsePyLiteral(text);
  if (!r.ok) throw new Error(`expected ${r.expected} at ${r.position}`);
  return r.value;
}

const str = (v: string): PyLiteral => ({ kind: 'str', value: v });
const int = (v: number): PyLiteral => ({ kind: 'int', value: BigInt(v) });

describe('parsePyLiteral', () => {
  it('reads the header NumPy writes', () => {
    expect(value("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }          \n")).toEqual({
      kind: 'dict',
      entries: [
        [str('descr'), str('<f4')],
        [str('fortran_order'), { kind: 'bool', value: false }],
        [str('shape'), { kind: 'tuple', items: [int(3), int(4)] }],
      ],
    });
  });

  it('distinguishes tuples, one-element tuples and parenthesised values', () => {
    expect(value('()')).toEqual({ kind: 'tuple', items: [] });
    expect(value('(3,)')).toEqual({ kind: 'tuple', items: [int(3)] });
    expect(value("('|O')")).toEqual(str('|O'));
    expect(value('[1, [2, (None, True)],]')).toEqual({
      kind: 'list',
      items: [int(1), { kind: 'list', items: [int(2), { kind: 'tuple', items: [{ kind: 'none' }, { kind: 'bool', value: true }] }] }],
    });
  });

  it('reads every integer spelling Python allows, and Python 2 longs', () => {
    expect(['0x1F', '0o17', '0b101', '1_000', '-3', '+ 4', '3L', '00'].map((t) => renderPyLiteral(value(t)))).toEqual([
      '31',
      '15',
      '5',
      '1000',
      '-3',
      '4',
      '3',
      '0',
    ]);
    expect(value('123456789012345678901234567890')).toEqual({ kind: 'int', value: 123456789012345678901234567890n });
  });

  it('reads both quote kinds, escapes, prefixes, triple quotes and implicit concatenation', () => {
    expect(value(`"it's"`)).toEqual(str("it's"));
    expect(value(String.raw`'a\'b\\c\x41\u00e9\101\n'`)).toEqual(str("a'b\\cAéA\n"));
    expect(value(String.raw`r'\d'`)).toEqual(str('\\d'));
    expect(value(`u'x'`)).toEqual(str('x'));
    expect(value(`b'\\xff'`)).toEqual({ kind: 'bytes', value: '\xff' });
    expect(value(`'''|O'''`)).toEqual(str('|O'));
    expect(value(`'|' "O"`)).toEqual(str('|O'));
    expect(value(String.raw`'\q'`)).toEqual(str('\\q'));
  });

  it('skips comments and whitespace', () => {
    expect(value("{'a': 1, # note\n 'b': 2}  # end")).toEqual({ kind: 'dict', entries: [[str('a'), int(1)], [str('b'), int(2)]] });
  });

  it('rejects everything that is not a supported literal, with the position', () => {
    const cases: [string, number, RegExp][] = [
      ["__import__('os')", 0, /a string, integer/],
      ['{1, 2}', 2, /':' after a dict key/],
      ['1.5', 0, /floats/],
      ["'open", 0, /closing '/],
      ["'a' b'b'", 4, /not to be concatenated/],
      ['(1 2)', 3, /',' or '\)'/],
      ['[1, 2', 5, /',' or '\]'/],
      ['1 2', 2, /end of the literal/],
      ["'\\N{DASH}'", 3, /\\N/],
      ['', 0, /a value/],
      ["b'é'", 0, /ASCII/],
    ];
    for (const [text, position, expected] of cases) {
      const r = parsePyLiteral(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) {
        expect(r.position, text).toBe(position);
        expect(r.expected, text).toMatch(expected);
      }
    }
  });

  it('bounds length and depth', () => {
    expect(parsePyLiteral('1'.repeat(20), { maxLength: 10, maxDepth: 5 })).toMatchObject({ ok: false, expected: 'at most 10 characters' });
    expect(parsePyLiteral(`${'['.repeat(6)}${']'.repeat(6)}`, { maxLength: 100, maxDepth: 5 })).toMatchObject({ ok: false, position: 5 });
    expect(parsePyLiteral(`${'['.repeat(5)}${']'.repeat(5)}`, { maxLength: 100, maxDepth: 5 }).ok).toBe(true);
    expect(parsePyLiteral('('.repeat(100_000)).ok).toBe(false);
  });
});

describe('renderPyLiteral', () => {
  it('renders structured descriptions in Python syntax', () => {
    const text = "[('a', '<i4'), ('b', '|O'), ('c', '<f8', (2, 3)), ('d', '<u1', (4,))]";
    expect(renderPyLiteral(value(text))).toBe(text);
    expect(renderPyLiteral(value("{'k': [None, False, b'x\\x00', 'it\\'s\\n']}"))).toBe("{'k': [None, False, b'x\\x00', 'it\\'s\\n']}");
  });
});

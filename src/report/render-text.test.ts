import { describe, expect, it } from 'vitest';
import { renderText } from './render-text.js';
import type { Report } from './types.js';

function report(skipped: Report['skipped']): Report {
  return {
    schemaVersion: 1,
    kind: 'scan',
    tool: { name: 'bulwark', version: '0.0.0' },
    target: 'repo',
    subjects: [],
    rules: [],
    findings: [],
    errors: [],
    skipped,
    complete: true,
  };
}

describe('renderText', () => {
  it('prints one SKIPPED line per reason, in first-seen order, naming three files and counting the rest', () => {
    const other = 'not a model format Bulwark recognises';
    const link = 'symbolic link to a directory (not followed)';
    const skipped = [
      { uri: 'a.md', reason: other },
      { uri: 'loop', reason: link },
      ...['b.md', 'c.md', 'd.md', 'e.md'].map((uri) => ({ uri, reason: other })),
    ];
    expect(renderText(report(skipped)).split('\n').filter((l) => l.startsWith('SKIPPED'))).toEqual([
      `SKIPPED  ${other}: a.md, b.md, c.md, and 2 more`,
      `SKIPPED  ${link}: loop`,
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { finaliseFindings, fingerprintOf } from './fingerprint.js';
import { compareFindings } from './order.js';

describe('fingerprints', () => {
  it('ignore offsets but not the key, and number repeats', () => {
    const a = fingerprintOf('R', { uri: 'm.pkl', offset: 1 }, 'os.system', 0);
    expect(fingerprintOf('R', { uri: 'm.pkl', offset: 999 }, 'os.system', 0)).toBe(a);
    expect(fingerprintOf('R', { uri: 'm.pkl' }, 'posix.system', 0)).not.toBe(a);
    expect(fingerprintOf('R', { uri: 'm.pkl' }, 'os.system', 1)).not.toBe(a);
    const fs = finaliseFindings(
      [
        { ruleId: 'R', message: '', location: { uri: 'm.pkl' }, key: 'k' },
        { ruleId: 'R', message: '', location: { uri: 'm.pkl' }, key: 'k' },
      ],
      () => 'high',
    );
    expect(new Set(fs.map((f) => f.fingerprint)).size).toBe(2);
  });

  it('sort by severity, then rule, then location', () => {
    const fs = finaliseFindings(
      [
        { ruleId: 'B', message: '', location: { uri: 'z' }, key: '1', severity: 'low' },
        { ruleId: 'A', message: '', location: { uri: 'y' }, key: '1', severity: 'critical' },
        { ruleId: 'A', message: '', location: { uri: 'x' }, key: '1', severity: 'critical' },
      ],
      () => 'medium',
    ).sort(compareFindings);
    expect(fs.map((f) => f.location.uri)).toEqual(['x', 'y', 'z']);
  });
});

import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pep440 from '@renovatebot/pep440';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  compareVersions,
  cvss3BaseScore,
  cvss4Rating,
  importOsvExports,
  inRange,
  loadOsvDatabase,
  matchAffected,
  matchDependency,
  parseVersion,
  preferredId,
  recordSeverity,
  severityOfScore,
  type OsvEvent,
  type OsvRecord,
} from '../../src/deps/index.js';
import { fixture, tempDir } from '../helpers.js';

const JSON_DB = fixture('deps/osv/json');
const ZIP_DB = fixture('deps/osv/zip');

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});
function tmp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('CVSS v3.1 base score (FIRST spec examples)', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 8.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:L', 5.0],
    ['CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N', 0],
  ])('%s = %d', (vector, score) => {
    expect(cvss3BaseScore(vector)).toBe(score);
  });
  it('rejects incomplete or foreign vectors', () => {
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H')).toBeUndefined();
    expect(cvss3BaseScore('CVSS:2.0/AV:N')).toBeUndefined();
    expect(cvss3BaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P')).toBeUndefined();
  });
  it('maps scores to ratings', () => {
    expect([9.0, 8.9, 7.0, 6.9, 4.0, 3.9, 0.1, 0].map(severityOfScore)).toEqual(['critical', 'high', 'high', 'medium', 'medium', 'low', 'low', 'info']);
  });
  it('rates v4 vectors conservatively and prefers the database rating', () => {
    expect(cvss4Rating('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBe('critical');
    expect(cvss4Rating('CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N')).toBe('high');
    const rec: OsvRecord = { id: 'X', modified: '', severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N' }], database_specific: { severity: 'HIGH' } };
    expect(recordSeverity(rec)).toEqual({ severity: 'high', basis: 'database_specific' });
    expect(recordSeverity({ id: 'Y', modified: '' })).toEqual({ severity: 'medium', basis: 'unknown' });
  });
});

describe('OSV range evaluation', () => {
  const ev = (...e: OsvEvent[]): OsvEvent[] => e;
  const pep = (v: string): NonNullable<ReturnType<typeof parseVersion>> => {
    const p = parseVersion(v, 'pep440');
    if (p === undefined) throw new Error(v);
    return p;
  };
  it('PEP 440 ordering: pre, post, dev, epochs, local versions', () => {
    const r = ev({ introduced: '0' }, { fixed: '2.6.0' });
    expect(inRange(pep('2.5.1+cu121'), r, 'pep440')).toBe(true);
    expect(inRange(pep('2.6.0'), r, 'pep440')).toBe(false);
    expect(inRange(pep('2.6.0+cu124'), r, 'pep440')).toBe(false);
    expect(inRange(pep('2.6.0rc1'), r, 'pep440')).toBe(true);
    expect(inRange(pep('2.6.0.dev20241112'), r, 'pep440')).toBe(true);
    expect(inRange(pep('2.6.0.post1'), r, 'pep440')).toBe(false);
    expect(inRange(pep('1!1.0'), r, 'pep440')).toBe(false); // epoch 1 sorts after every epoch-0 version
  });
  it('last_affected is inclusive and compares local versions by their public part', () => {
    const r = ev({ introduced: '1.0' }, { last_affected: '2.5.1' });
    expect(inRange(pep('2.5.1+cu121'), r, 'pep440')).toBe(true);
    expect(inRange(pep('2.5.2'), r, 'pep440')).toBe(false);
    expect(inRange(pep('0.9'), r, 'pep440')).toBe(false);
  });
  it('several introduced/fixed pairs, in any order', () => {
    const r = ev({ fixed: '5.0.0' }, { introduced: '4.0.0' }, { fixed: '3.2.1' }, { introduced: '0' });
    expect(['1.0.0', '3.2.1', '4.1', '5.0.0'].map((v) => inRange(pep(v), r, 'pep440'))).toEqual([true, false, true, false]);
  });
  it('limit events bound the range', () => {
    expect(inRange(pep('3.0'), ev({ introduced: '0' }, { limit: '2.0' }), 'pep440')).toBe(false);
    expect(inRange(pep('1.0'), ev({ introduced: '0' }, { limit: '2.0' }), 'pep440')).toBe(true);
  });
  it('semver: prereleases sort before their release', () => {
    const r = ev({ introduced: '0' }, { fixed: '4.20.0' }, { introduced: '5.0.0-alpha.1' }, { fixed: '5.0.0' });
    const sv = (v: string): NonNullable<ReturnType<typeof parseVersion>> => parseVersion(v, 'semver') ?? (() => { throw new Error(v); })();
    expect(['4.19.2', '4.21.1', '5.0.0-beta.3', '5.0.0'].map((v) => inRange(sv(v), r, 'semver'))).toEqual([true, false, true, false]);
  });
  it('explicit versions lists match too; GIT ranges are ignored', () => {
    const entry = { package: { ecosystem: 'PyPI', name: 'x' }, versions: ['1.2.3'], ranges: [{ type: 'GIT' as const, events: [{ introduced: '0' }, { fixed: 'abc' }] }] };
    expect(matchAffected(entry, 'PyPI', '1.2.3+local').affected).toBe(true);
    expect(matchAffected(entry, 'PyPI', '1.2.4').affected).toBe(false);
  });
  it('agrees with a plain comparison for single introduced/fixed ranges (property)', () => {
    const ver = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([a, b, c]) => `${a}.${b}.${c}`);
    fc.assert(
      fc.property(ver, ver, ver, (v, lo, hi) => {
        const [p, l, h] = [pep(v), pep(lo), pep(hi)];
        const expected = cmp(p, l) >= 0 && cmp(p, h) < 0;
        return inRange(p, ev({ introduced: lo }, { fixed: hi }), 'pep440') === expected || cmp(l, h) > 0;
      }),
    );
  });
});

function cmp(a: NonNullable<ReturnType<typeof parseVersion>>, b: NonNullable<ReturnType<typeof parseVersion>>): number {
  return pep440.compare(a.raw, b.raw);
}

describe('PEP 440 sort keys agree with @renovatebot/pep440 compare (property)', () => {
  const part = fc.constantFrom('', 'a1', 'b2', 'rc1', '.post1', '.dev3', 'rc1.post2.dev1', '.post0.dev0', 'a0.dev2');
  const version = fc.tuple(fc.constantFrom('', '1!'), fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }), part).map(([e, r, p]) => `${e}${r.join('.')}${p}`);
  it('orders every pair the same way', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        const pa = parseVersion(a, 'pep440');
        const pb = parseVersion(b, 'pep440');
        if (pa === undefined || pb === undefined) return false;
        return Math.sign(compareVersions(pa, pb)) === Math.sign(pep440.compare(a, b));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('database', () => {
  it('reads the extracted layout and the all.zip layout to the same index', async () => {
    const a = await loadOsvDatabase(JSON_DB);
    const b = await loadOsvDatabase(ZIP_DB);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(a.records).toBe(9);
    expect(b.records).toBe(9);
    expect(a.withdrawn).toBe(1);
    expect([...a.index.keys()].sort()).toEqual([...b.index.keys()].sort());
    expect(a.index.get('PyPI\u0000pyyaml')?.map((e) => e.stored.id).sort()).toEqual(['GHSA-6757-jp84-gxfx', 'GHSA-8q59-q68h-6hv4', 'PYSEC-2021-142']);
    expect(a.index.has('PyPI\u0000numpy')).toBe(false); // only the withdrawn record names it
  });

  it('a bad record is an error naming the file and field, and the rest still loads', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'PyPI'));
    writeFileSync(join(dir, 'PyPI', 'GOOD-1.json'), JSON.stringify({ id: 'GOOD-1', modified: '2025-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'a' }, versions: ['1.0'] }] }));
    writeFileSync(join(dir, 'PyPI', 'BAD-1.json'), JSON.stringify({ id: 'BAD-1', modified: '2025-01-01T00:00:00Z', affected: [{ ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1' }] }] }] }));
    writeFileSync(join(dir, 'PyPI', 'BAD-2.json'), '{"id": ');
    const db = await loadOsvDatabase({ dir, validateAll: true });
    expect(db.records).toBe(2);
    expect(db.index.size).toBe(1);
    expect(db.errors.map((e) => e.uri).sort()).toEqual(['PyPI/BAD-1.json', 'PyPI/BAD-2.json']);
    expect(db.errors.find((e) => e.uri === 'PyPI/BAD-1.json')?.message).toContain('affected.0.ranges.0.events.0');
  });

  it('by default a record is validated when a dependency first needs it', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'PyPI'));
    writeFileSync(join(dir, 'PyPI', 'BAD-3.json'), JSON.stringify({ id: 'BAD-3', modified: 5, affected: [{ package: { ecosystem: 'PyPI', name: 'Torch' }, versions: ['2.5.1'] }] }));
    const db = await loadOsvDatabase(dir);
    expect(db.errors).toEqual([]);
    expect(matchDependency(db, { ecosystem: 'PyPI', name: 'torch', normalizedName: 'torch', version: '2.5.1', source: { file: 'r.txt' }, direct: true })).toEqual([]);
    expect(db.errors).toEqual([expect.objectContaining({ uri: 'PyPI/BAD-3.json', code: 'PARSE_ERROR', message: expect.stringContaining('modified') as unknown })]);
    matchDependency(db, { ecosystem: 'PyPI', name: 'torch', normalizedName: 'torch', version: '2.5.1', source: { file: 'r.txt' }, direct: true });
    expect(db.errors).toHaveLength(1);
  });

  it('only: indexes just the wanted packages but counts every record', async () => {
    const db = await loadOsvDatabase({ dir: JSON_DB, only: new Set(['PyPI\u0000torch']) });
    expect([...db.index.keys()]).toEqual(['PyPI\u0000torch']);
    expect(db).toMatchObject({ records: 9, withdrawn: 1 }); // the withdrawn numpy record is counted unparsed
    const dir = tmp();
    mkdirSync(join(dir, 'PyPI'));
    // A name written with a JSON escape cannot dodge the pre-parse filter.
    writeFileSync(join(dir, 'PyPI', 'ESC-1.json'), '{"id": "ESC-1", "modified": "2025-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": "\\u0074orch"}, "versions": ["2.5.1"]}]}');
    const esc = await loadOsvDatabase({ dir, only: new Set(['PyPI\u0000torch']) });
    expect([...esc.index.keys()]).toEqual(['PyPI\u0000torch']);
  });

  it('a missing directory is FILE_NOT_FOUND', async () => {
    await expect(loadOsvDatabase(join(tmp(), 'nope'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });

  it('imports exports atomically and merges with what is there', async () => {
    const dest = join(tmp(), 'cache', 'osv');
    const first = await importOsvExports({ files: [join(ZIP_DB, 'npm', 'all.zip')], dest });
    expect(first).toMatchObject({ records: 2, imported: 2, errors: [] });
    const second = await importOsvExports({ files: [join(ZIP_DB, 'PyPI', 'all.zip'), join(JSON_DB, 'npm', 'GHSA-qw6h-vgh9-j6wx.json')], dest });
    expect(second).toMatchObject({ records: 9, imported: 8 });
    expect(readdirSync(dest).sort()).toEqual(['PyPI', 'npm']);
    expect(readdirSync(join(dest, '..')).filter((n) => n.includes('.tmp'))).toEqual([]);
    const db = await loadOsvDatabase(dest);
    expect(db.records).toBe(9);
  });

  it('prefers GHSA, then PYSEC, then other ids, then CVE', () => {
    expect(preferredId(['PYSEC-2021-142', 'GHSA-8q59-q68h-6hv4'])).toBe('GHSA-8q59-q68h-6hv4');
    expect(preferredId(['CVE-2020-1', 'PYSEC-2021-142'])).toBe('PYSEC-2021-142');
    expect(preferredId(['CVE-2020-1', 'OSV-2021-5'])).toBe('OSV-2021-5');
  });
});

/**
 * Checks on archive member paths shared by the zip and tar readers. Extraction tools join a member
 * path onto a target directory; a path that is absolute or climbs with `..` writes outside it
 * ("zip-slip"). Both separators are checked because Windows tools treat `\` as one, and a name that
 * is harmless on Linux (`..\evil.py` is one odd file name there) escapes on Windows.
 */

/** What is wrong with a member path. */
export type MemberPathIssue =
  /** A `..` segment (with `/` or `\` separators) climbs out of the extraction directory. */
  | { kind: 'path-traversal'; detail: string }
  /** A leading `/` or `\`, a UNC prefix or a drive letter (`C:`) ignores the extraction directory. */
  | { kind: 'absolute-path'; detail: string };

/** Returns every issue of `name` as an extraction path (empty when it is a plain relative path). */
export function checkMemberPath(name: string): MemberPathIssue[] {
  const issues: MemberPathIssue[] = [];
  if (name.startsWith('/') || name.startsWith('\\')) {
    issues.push({ kind: 'absolute-path', detail: `path ${JSON.stringify(name)} is absolute` });
  } else if (/^[A-Za-z]:/.test(name)) {
    issues.push({ kind: 'absolute-path', detail: `path ${JSON.stringify(name)} starts with a drive letter` });
  }
  const segments = name.split(/[\\/]/);
  if (segments.includes('..')) {
    const viaBackslash = !name.split('/').includes('..');
    issues.push({
      kind: 'path-traversal',
      detail: viaBackslash
        ? `path ${JSON.stringify(name)} has a '..' segment separated by backslashes (escapes on Windows)`
        : `path ${JSON.stringify(name)} has a '..' segment`,
    });
  }
  return issues;
}

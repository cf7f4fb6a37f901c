/** Protocol version spoken by this tree. Majors must match between client and server; minors only add. */
export const PROTOCOL_VERSION = '1.2.0';

/** Major component of a semver string, or NaN when the string is not semver-like. */
export function majorOf(version: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? Number(m[1]) : Number.NaN;
}

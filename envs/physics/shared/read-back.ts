/** Reading physical parameters back from bodies. */

/**
 * Removes the rounding noise of a ratio read back from a body (mass / base mass): 12 significant digits. Without it a
 * scale of 1.8 could read back as 1.8000000000000003, outside its own range, and be refused when sent back.
 */
export function roundReadBack(x: number): number {
  return Number(x.toPrecision(12));
}

/** Small helpers for the vector drawings environments return from render. */

/** Wraps drawing elements in a standalone SVG document of the given size. */
export function svgDocument(width: number, height: number, body: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="100%" height="100%" fill="#fff"/>${body.join('')}</svg>`;
}

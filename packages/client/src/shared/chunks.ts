/**
 * Packs items, in order, into chunks of at most `maxBytes` (the sum of `sizeOf`) and `maxItems`
 * items each, starting a new chunk when the next item would not fit. Always returns at least one
 * chunk (empty when there are no items), so a receiver always learns that a transfer is complete.
 * The caller leaves out items larger than `maxBytes` beforehand.
 *
 * @param items what to pack, in the order to keep
 * @param sizeOf an item's size (bytes, or whatever unit `maxBytes` is in)
 * @param maxBytes most total size per chunk
 * @param maxItems most items per chunk
 */
export function packChunks<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxBytes: number,
  maxItems: number,
): T[][] {
  const chunks: T[][] = [[]];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    let current = chunks[chunks.length - 1] as T[];
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxItems)) {
      current = [];
      chunks.push(current);
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  return chunks;
}

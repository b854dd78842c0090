/**
 * A forward reader over a file's ciphertext that can serve any byte range: what `tus-js-client`
 * reads its PATCH bodies from (its `FileSource`). The ciphertext is the same on every pass for a
 * given key, so a range before the current position is served by encrypting again from the start
 * (`open` is called anew) and skipping to it — an upload resumed at the server's offset after a
 * restart costs one more encryption pass up to there, never holding more than the range asked for
 * and one encrypted chunk.
 */
export class CiphertextSource {
  private iterator: AsyncIterator<Uint8Array> | undefined;
  /** Ciphertext offset of `pending[0]`. */
  private position = 0;
  private pending: Uint8Array = new Uint8Array(0);
  private ended = false;

  /**
   * @param size the ciphertext size (bytes)
   * @param open starts a new pass over the ciphertext from its first byte
   */
  constructor(
    readonly size: number,
    private readonly open: () => AsyncIterable<Uint8Array>,
  ) {}

  /**
   * The ciphertext bytes [start, end) (end clamped to the size) with their length as `size`, and
   * whether they reach the end.
   * Throws what the ciphertext pass throws (the source file changed size, was removed…).
   */
  async slice(start: number, end: number): Promise<{ value: Uint8Array & { size: number }; done: boolean }> {
    const stop = Math.min(end, this.size);
    if (start < this.position || !this.iterator) this.restart();
    // Skip to `start`.
    while (this.position + this.pending.length <= start && !this.ended) {
      this.position += this.pending.length;
      this.pending = await this.next();
    }
    this.pending = this.pending.subarray(Math.max(0, start - this.position));
    this.position = Math.max(this.position, start);
    const parts: Uint8Array[] = [];
    let have = 0;
    const want = Math.max(0, stop - start);
    while (have < want) {
      if (this.pending.length === 0) {
        if (this.ended) break;
        this.pending = await this.next();
        continue;
      }
      const take = this.pending.subarray(0, want - have);
      parts.push(take);
      have += take.length;
      this.pending = this.pending.subarray(take.length);
      this.position += take.length;
    }
    // tus-js-client reads a slice's length from `size` (as of a Blob); in Node it also becomes the
    // request's Content-Length.
    const value = Object.assign(concat(parts, have), { size: have });
    return { value, done: start + have >= this.size };
  }

  /** Stops the current pass. */
  close(): void {
    void this.iterator?.return?.();
    this.iterator = undefined;
  }

  private restart(): void {
    this.close();
    this.iterator = this.open()[Symbol.asyncIterator]();
    this.position = 0;
    this.pending = new Uint8Array(0);
    this.ended = false;
  }

  private async next(): Promise<Uint8Array> {
    const r = await (this.iterator as AsyncIterator<Uint8Array>).next();
    if (r.done) {
      this.ended = true;
      return new Uint8Array(0);
    }
    return r.value;
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0].slice();
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

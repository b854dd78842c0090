import { createSha256, type Sha256 } from "@volly/crypto";

/**
 * A forward reader over a file's ciphertext that can serve any byte range — what `tus-js-client`
 * reads its PATCH bodies from (its `FileSource`) — and hashes the ciphertext as it goes, so the
 * upload is the only pass over the file: the blob id (SHA-256 of the ciphertext) is known when the
 * last byte is read.
 *
 * The ciphertext is the same on every pass for a given key, so a range before the current position
 * is served by encrypting again from the start (`open` is called anew) and skipping to it. Each
 * ciphertext byte is hashed once, in order, the first time a pass produces it: a re-read after a
 * dropped request (tus-js-client resumes at the server's offset) hashes nothing twice, and a first
 * read at an offset (an upload resumed after an app restart, whose hash state was lost) hashes the
 * bytes it skips without them being uploaded. It never holds more than the range asked for and one
 * encrypted chunk.
 */
export class CiphertextSource {
  private iterator: AsyncIterator<Uint8Array> | undefined;
  /** Ciphertext offset of `pending[0]`. */
  private position = 0;
  private pending: Uint8Array = new Uint8Array(0);
  private ended = false;
  /** Ciphertext offset of the next piece the current pass yields. */
  private produced = 0;
  private readonly hash: Sha256 = createSha256();
  /** Bytes [0, hashedUpTo) of the ciphertext are in `hash`. */
  private hashedUpTo = 0;
  private digested: Uint8Array | undefined;

  /**
   * @param size the ciphertext size (bytes)
   * @param open starts a new pass over the ciphertext from its first byte (yields it in order, in
   *   pieces of any size)
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
    // Skip to `start` (what the pass produces on the way is hashed, see `next`).
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

  /**
   * The SHA-256 of the whole ciphertext (32 bytes): the blob id's bytes. When the slices read so
   * far did not reach the end (tus-js-client found the upload already complete on the server), the
   * rest is encrypted and hashed first. May be called more than once (same answer).
   *
   * @throws Error when the passes yielded fewer than `size` bytes; what the pass throws
   */
  async digest(): Promise<Uint8Array> {
    if (this.digested) return this.digested;
    if (this.hashedUpTo < this.size) {
      if (!this.iterator || this.ended) this.restart();
      while (!this.ended && this.hashedUpTo < this.size) {
        this.position += this.pending.length;
        this.pending = await this.next();
      }
      this.close();
    }
    if (this.hashedUpTo !== this.size) {
      throw new Error(`The ciphertext has ${this.hashedUpTo} bytes, not ${this.size}.`);
    }
    this.digested = this.hash.digest();
    return this.digested;
  }

  /** Stops the current pass (a later slice starts a new one; the hash so far is kept). */
  close(): void {
    void this.iterator?.return?.();
    this.iterator = undefined;
  }

  private restart(): void {
    this.close();
    this.iterator = this.open()[Symbol.asyncIterator]();
    this.position = 0;
    this.produced = 0;
    this.pending = new Uint8Array(0);
    this.ended = false;
  }

  /** The pass's next piece (empty once it ended), its bytes past `hashedUpTo` hashed. */
  private async next(): Promise<Uint8Array> {
    const r = await (this.iterator as AsyncIterator<Uint8Array>).next();
    if (r.done) {
      this.ended = true;
      return new Uint8Array(0);
    }
    const at = this.produced;
    this.produced += r.value.length;
    // Passes start at byte 0 and run in order, so `at <= hashedUpTo` always holds here.
    if (this.produced > this.hashedUpTo && this.hashedUpTo < this.size && !this.digested) {
      const upTo = Math.min(this.produced, this.size);
      this.hash.update(r.value.subarray(this.hashedUpTo - at, upTo - at));
      this.hashedUpTo = upTo;
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

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
 * bytes it skips without them being uploaded.
 *
 * Read-ahead: once a slice is served, the pass goes on producing up to `readAheadBytes` (default
 * 8 MiB, one PATCH) while the caller sends that slice, so encryption (on the thread pool) overlaps
 * the upload instead of alternating with it — the next slice is then mostly ready. It holds at most
 * the range asked for, the read-ahead and one encrypted chunk.
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
  /** Pieces the current pass produced ahead of the reader, in order, and their total length. */
  private ahead: Uint8Array[] = [];
  private aheadBytes = 0;
  /** The last production step queued: steps run one at a time, in order. */
  private producing: Promise<void> = Promise.resolve();
  /** A failure of a step run ahead, thrown to the next reader. */
  private failure: { error: unknown } | undefined;
  /** The pass being read ahead of in the background, if any. */
  private prefetching: AsyncIterator<Uint8Array> | undefined;

  /**
   * @param size the ciphertext size (bytes)
   * @param open starts a new pass over the ciphertext from its first byte (yields it in order, in
   *   pieces of any size)
   * @param readAheadBytes how much ciphertext to produce ahead of the reader between slices
   *   (bytes, ≥ 0; 0 turns read-ahead off)
   */
  constructor(
    readonly size: number,
    private readonly open: () => AsyncIterable<Uint8Array>,
    private readonly readAheadBytes = DEFAULT_READ_AHEAD_BYTES,
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
    while (this.position + this.pending.length <= start && !this.drained) {
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
        if (this.drained) break;
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
    this.readAhead();
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
    const iterator = this.iterator;
    this.iterator = undefined;
    this.ahead = [];
    this.aheadBytes = 0;
    this.failure = undefined;
    // After a step still running on it (an async generator's return waits for its pending next).
    if (iterator) this.producing = this.producing.then(() => void iterator.return?.()).catch(() => {});
  }

  private restart(): void {
    this.close();
    this.iterator = this.open()[Symbol.asyncIterator]();
    this.position = 0;
    this.produced = 0;
    this.pending = new Uint8Array(0);
    this.ended = false;
  }

  /** The pass ended and its read-ahead was taken: nothing more comes from it. */
  private get drained(): boolean {
    return this.ended && this.ahead.length === 0;
  }

  /** The pass's next piece (empty once it ended): from the read-ahead, else produced now. */
  private async next(): Promise<Uint8Array> {
    while (this.ahead.length === 0) {
      if (this.failure) {
        const { error } = this.failure;
        this.failure = undefined;
        throw error;
      }
      if (this.ended || !this.iterator) return new Uint8Array(0);
      await this.step(this.iterator);
    }
    const piece = this.ahead.shift() as Uint8Array;
    this.aheadBytes -= piece.length;
    return piece;
  }

  /** Produces ahead of the reader, in the background, until `readAheadBytes` are waiting. */
  private readAhead(): void {
    const iterator = this.iterator;
    if (!iterator || this.prefetching === iterator || this.readAheadBytes <= 0) return;
    this.prefetching = iterator;
    void (async () => {
      try {
        while (
          this.iterator === iterator &&
          !this.ended &&
          !this.failure &&
          this.aheadBytes < this.readAheadBytes
        ) {
          await this.step(iterator).catch((error: unknown) => {
            if (this.iterator === iterator) this.failure = { error };
          });
        }
      } finally {
        if (this.prefetching === iterator) this.prefetching = undefined;
      }
    })();
  }

  /**
   * Queues one production step on `iterator` (after those already queued): its next piece goes to
   * the read-ahead. A step of a pass that was closed meanwhile produces nothing.
   */
  private step(iterator: AsyncIterator<Uint8Array>): Promise<void> {
    const run = this.producing.then(async () => {
      if (this.iterator !== iterator || this.ended) return;
      const piece = await this.produce(iterator);
      if (this.iterator !== iterator) return;
      if (piece) {
        this.ahead.push(piece);
        this.aheadBytes += piece.length;
      }
    });
    this.producing = run.catch(() => {});
    return run;
  }

  /** The pass's next piece (undefined once it ended), its bytes past `hashedUpTo` hashed. */
  private async produce(iterator: AsyncIterator<Uint8Array>): Promise<Uint8Array | undefined> {
    const r = await iterator.next();
    if (this.iterator !== iterator) return undefined;
    if (r.done) {
      this.ended = true;
      return undefined;
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

/** Read-ahead between slices: one PATCH of the SDK's upload (tus-upload.ts UPLOAD_CHUNK_BYTES). */
const DEFAULT_READ_AHEAD_BYTES = 8 * 1024 * 1024;

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

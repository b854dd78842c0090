import { ATTACHMENT_LIMITS, chunkCount, FILE_TAG_BYTES, paddedSize, VollyError } from "@volly/protocol";
import { createSha256 as createNodeOrNobleSha256, type Sha256 } from "#sha256";

/**
 * File encryption for attachments (DESIGN.md "Attachments, images, voice messages").
 *
 * The construction is age's STREAM (C2SP age spec, section "Payload",
 * https://github.com/C2SP/C2SP/blob/main/age.md#payload; Hoang, Reyhanitabar, Rogaway and Vizár,
 * "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO 2015) without
 * age's header, and with AES-256-GCM (NIST SP 800-38D; 96-bit IV, 128-bit tag) in place of age's
 * ChaCha20-Poly1305: a fresh 32-byte key per file; the plaintext, padded with zero bytes to
 * `paddedSize(size)` (Padmé), is cut into 64 KiB chunks (`ATTACHMENT_LIMITS.chunkBytes`; the last
 * may be shorter and is never empty), and chunk `i` is sealed under the 12-byte nonce `i` as an
 * 11-byte big-endian counter ‖ one flag byte, 0x01 on the last chunk and 0x00 on every other. No
 * associated data. The ciphertext is the sealed chunks (ciphertext ‖ 16-byte tag) back to back:
 * `blobSize(size)` bytes. Because the counter and the last-chunk flag are authenticated, a reader
 * detects reordered, dropped, truncated or appended chunks, and can check and play any chunk on its
 * own. The nonces are SP 800-38D's deterministic construction (§8.2.1) and never repeat under a
 * key, since a key seals one file: a 100 MiB file is 1 600 invocations, far under the limits of
 * §8.3 (2^32 invocations per key) and §5.2.1.1 (under 64 GiB per invocation).
 *
 * Why AES-GCM: it runs through the platform's WebCrypto (`crypto.subtle`, Node ≥ 20 and every
 * browser), which uses the CPU's AES and carry-less multiply instructions, while ChaCha20-Poly1305
 * is not in WebCrypto and the pure-JS one (@noble/ciphers) is ~5× slower. Measured on the project's
 * 2-core test machine under load: @noble ChaCha20-Poly1305 ≈ 42 MB/s, WebCrypto AES-256-GCM on
 * 64 KiB chunks ≈ 215 MB/s; with the former a 100 MiB encrypted upload ran at 0.60× a plain one
 * (the issue asks for ≥ 0.8×). The CryptoKey is imported once per file, not once per chunk.
 *
 * The blob id's SHA-256 ({@link sha256Stream}) comes from `#sha256` (package.json `imports`):
 * node:crypto in Node, @noble/hashes elsewhere, so browser bundles never import node:crypto.
 */

const CHUNK = ATTACHMENT_LIMITS.chunkBytes;
/**
 * Chunks sealed or opened ahead of the reader: WebCrypto calls in flight at once. Each call is a hop
 * to another thread (Node's thread pool, a browser's crypto thread) and back; on a busy machine the
 * hop, not the cipher, dominates, so several in flight overlap their waits. Costs up to this many
 * chunks (64 KiB + 16 bytes, in and out) of memory.
 */
const IN_FLIGHT = 4;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;

/** Why a file did not decrypt; `details.cause` of {@link FileDecryptError}. */
export type FileDecryptCause = "tag" | "truncated" | "extra" | "padding";

/**
 * The ciphertext of a file is not what its sender encrypted under this key: a chunk fails its
 * GCM tag (flipped bits, reordered chunks, a chunk flagged last too early, wrong key), the
 * stream ends early, goes on past `blobSize(size)`, or the padding after `size` is not zero (the
 * declared size is wrong). A {@link VollyError} with code `VOLLY_E_BLOB_MISMATCH`;
 * `details.chunk` is the index of the chunk where it was noticed, `details.cause` says how.
 * Nothing at or after that chunk was yielded.
 */
export class FileDecryptError extends VollyError {
  /**
   * @param cause what failed
   * @param chunk index of the chunk where it was noticed
   * @param message human-readable explanation
   */
  constructor(cause: FileDecryptCause, chunk: number, message: string) {
    super("VOLLY_E_BLOB_MISMATCH", message, { cause, chunk });
    this.name = "FileDecryptError";
  }
}

/**
 * Which part of the ciphertext holds a range of the plaintext: the result of {@link chunkRange}.
 * Offsets are bytes; `start`/`end` suit an HTTP `Range: bytes=start-(end-1)` request (RFC 9110
 * §14.1.2).
 */
export interface FileChunkRange {
  /** Index of the first chunk to fetch. */
  firstChunk: number;
  /** Index of the last chunk to fetch (inclusive). */
  lastChunk: number;
  /** Ciphertext offset where `firstChunk` starts (inclusive). */
  start: number;
  /** Ciphertext offset just after `lastChunk` (exclusive). */
  end: number;
  /** Plaintext bytes to drop from the start of the first decrypted chunk. */
  skip: number;
  /** Plaintext bytes to keep after `skip` (`toByte - fromByte`). */
  length: number;
  /** How many chunks the whole file has; chunk `chunkCount - 1` is the one flagged last. */
  chunkCount: number;
}

/** A fresh random 32-byte file key (`crypto.getRandomValues`). Secret: it travels only inside MLS. */
export function generateFileKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}

/**
 * Encrypts a file as a stream (see the module comment for the format). The source may yield
 * pieces of any size; they are re-cut into 64 KiB chunks, of which up to four are being sealed at
 * once (so at most ~5 plaintext and ~4 sealed chunks, about 600 KiB, are held at a time). Yields the sealed chunks (64 KiB + 16 bytes each, the last one
 * shorter), `blobSize(size)` bytes in all. The last chunk is sealed only once the source has
 * ended, so a source longer than `size` never produces a complete ciphertext.
 *
 * The same key, plaintext and size always give the same ciphertext (nonces are chunk
 * counters), so a caller may run it again to serve a range of it (an upload resumed at an offset). Each
 * chunk is sealed by WebCrypto (`crypto.subtle.encrypt`, AES-256-GCM), which in Node runs off the
 * main thread; the key is imported once per call.
 *
 * @param key 32-byte file key ({@link generateFileKey}); never reuse it for another file
 * @param plaintext the file's bytes, in pieces of any size (Node streams and `Buffer`s work)
 * @param size the file's size in bytes (integer ≥ 0)
 * @throws RangeError for a key that is not 32 bytes or a bad size (at once), or, while iterating,
 *   when the source yields more or fewer than `size` bytes
 */
export function encryptFile(
  key: Uint8Array,
  plaintext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size: number,
): AsyncIterable<Uint8Array> {
  checkKey(key);
  const padded = paddedSize(size);
  return encryptChunks(key, plaintext, size, padded);
}

async function* encryptChunks(
  key: Uint8Array,
  plaintext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size: number,
  padded: number,
): AsyncGenerator<Uint8Array> {
  const count = chunkCount(padded);
  const cryptoKey = await importFileKey(key);
  const ahead: Array<Promise<Uint8Array>> = [];
  const buffers = new BufferRing(CHUNK);
  let buffer = buffers.next();
  let index = 0;
  let fill = 0;
  let read = 0;
  for await (const piece of plaintext) {
    if (read + piece.length > size) {
      throw new RangeError(`The file has more than the ${size} bytes declared.`);
    }
    read += piece.length;
    let offset = 0;
    while (offset < piece.length) {
      const length = plainChunkLength(padded, index);
      const take = Math.min(length - fill, piece.length - offset);
      buffer.set(piece.subarray(offset, offset + take), fill);
      fill += take;
      offset += take;
      // The last chunk waits for the end of the source (read ≤ size keeps it from overflowing).
      if (fill === length && index < count - 1) {
        ahead.push(handled(sealChunk(cryptoKey, index, false, buffer)));
        buffer = buffers.next();
        index += 1;
        fill = 0;
        if (ahead.length >= IN_FLIGHT) yield await (ahead.shift() as Promise<Uint8Array>);
      }
    }
  }
  if (read !== size) throw new RangeError(`The file has ${read} bytes, not the ${size} declared.`);
  // Zero padding up to `padded`: the rest of this chunk, then whole zero chunks if Padmé needs them.
  for (; index < count; index += 1) {
    const length = plainChunkLength(padded, index);
    buffer.fill(0, fill, length);
    ahead.push(handled(sealChunk(cryptoKey, index, index === count - 1, buffer.subarray(0, length))));
    buffer = buffers.next();
    fill = 0;
    if (ahead.length >= IN_FLIGHT) yield await (ahead.shift() as Promise<Uint8Array>);
  }
  for (const sealed of ahead.splice(0)) yield await sealed;
}

/**
 * Decrypts a file encrypted by {@link encryptFile}, as a stream. The ciphertext may arrive in
 * pieces of any size (an HTTP body); each chunk is checked before any of its bytes are yielded,
 * and at most five sealed chunks are held (up to four being opened at once, in order). Yields exactly `size` plaintext bytes (the padding is
 * checked to be zero and dropped). The last chunk is opened only once the source has ended, so
 * appended bytes are refused before it is yielded; a stream cut short errors after the chunks
 * already checked (as age does: a reader sees a prefix, then the error).
 *
 * @param key the 32-byte file key from the attachment pointer
 * @param ciphertext the blob's bytes (`blobSize(size)` of them), in pieces of any size
 * @param size the plaintext size from the attachment pointer (bytes, integer ≥ 0)
 * @throws RangeError for a key that is not 32 bytes or a bad size (at once)
 * @throws FileDecryptError while iterating: bad tag, truncation, extra bytes, non-zero padding
 */
export function decryptFile(
  key: Uint8Array,
  ciphertext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size: number,
): AsyncIterable<Uint8Array> {
  checkKey(key);
  const padded = paddedSize(size);
  return decryptChunks(key, ciphertext, size, padded);
}

async function* decryptChunks(
  key: Uint8Array,
  ciphertext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size: number,
  padded: number,
): AsyncGenerator<Uint8Array> {
  const count = chunkCount(padded);
  const cryptoKey = await importFileKey(key);
  // Chunks being opened, in order; each is yielded (or its error thrown) only after those before it.
  const ahead: Array<{ index: number; plain: Promise<Uint8Array> }> = [];
  const buffers = new BufferRing(CHUNK + FILE_TAG_BYTES);
  let buffer = buffers.next();
  let index = 0;
  let fill = 0;
  for await (const piece of ciphertext) {
    let offset = 0;
    while (offset < piece.length) {
      const length = plainChunkLength(padded, index) + FILE_TAG_BYTES;
      if (fill === length) {
        // Only the last chunk waits here, full, for the end of the source: this byte is extra.
        // The chunks before it are shown first, as when they arrived alone.
        yield* opened(ahead.splice(0), size);
        throw new FileDecryptError("extra", index, "The file has bytes after its last chunk.");
      }
      const take = Math.min(length - fill, piece.length - offset);
      buffer.set(piece.subarray(offset, offset + take), fill);
      fill += take;
      offset += take;
      if (fill === length && index < count - 1) {
        ahead.push({ index, plain: handled(openChunk(cryptoKey, index, false, buffer)) });
        buffer = buffers.next();
        index += 1;
        fill = 0;
        if (ahead.length >= IN_FLIGHT) yield* opened(ahead.splice(0, 1), size);
      }
    }
  }
  yield* opened(ahead.splice(0), size);
  const length = plainChunkLength(padded, index) + FILE_TAG_BYTES;
  if (index !== count - 1 || fill !== length) {
    throw new FileDecryptError("truncated", index, "The file ends before its last chunk.");
  }
  const last = await openChunk(cryptoKey, index, true, buffer.subarray(0, length));
  const kept = keptPlaintext(last, index, size);
  if (kept.length > 0) yield kept;
}

/**
 * Opens one sealed chunk on its own (for Range requests and seeking; {@link chunkRange} says which
 * chunks hold which bytes). Returns the chunk's whole plaintext, padding included: the caller cuts
 * it to the range it asked for. The imported WebCrypto key is kept (weakly, per key array) between
 * calls, so opening the chunks of one file one by one imports the key once.
 *
 * @param key the 32-byte file key
 * @param index the chunk's position in the file (0-based)
 * @param isLast whether it is the file's last chunk (`index === chunkCount - 1`)
 * @param sealed the chunk's ciphertext and 16-byte tag (64 KiB + 16 bytes except for the last chunk)
 * @returns a promise of the chunk's plaintext (`sealed.length - 16` bytes)
 * @throws RangeError for a key that is not 32 bytes or a bad index (at once, not as a rejection)
 * @throws FileDecryptError (a rejection; cause "tag") when the chunk does not authenticate at that
 *   index and flag, or (cause "truncated") when it has too few or too many bytes to be a chunk
 */
export function decryptChunk(
  key: Uint8Array,
  index: number,
  isLast: boolean,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  checkKey(key);
  const nonce = chunkNonce(index, isLast);
  return cachedFileKey(key).then((cryptoKey) => openChunkWithNonce(cryptoKey, index, nonce, sealed));
}

/**
 * Which ciphertext bytes to fetch to read plaintext bytes `[fromByte, toByte)` of a file of
 * `size` bytes: the chunks that hold them, as a byte range of the blob, and how much of the first
 * decrypted chunk to skip. Fetch `[start, end)`, split it into sealed chunks of 64 KiB + 16 bytes
 * (the last chunk of the file may be shorter), open each with {@link decryptChunk} (the one with
 * index `chunkCount - 1` with `isLast`), concatenate, drop `skip` bytes and keep `length`.
 *
 * @param size plaintext size of the file (bytes)
 * @param fromByte first plaintext byte wanted (inclusive)
 * @param toByte end of the wanted bytes (exclusive)
 * @throws RangeError unless 0 ≤ fromByte < toByte ≤ size (integers)
 */
export function chunkRange(size: number, fromByte: number, toByte: number): FileChunkRange {
  const padded = paddedSize(size);
  if (
    !Number.isSafeInteger(fromByte) ||
    !Number.isSafeInteger(toByte) ||
    fromByte < 0 ||
    fromByte >= toByte ||
    toByte > size
  ) {
    throw new RangeError(`bad range [${fromByte}, ${toByte}) of a ${size}-byte file`);
  }
  const firstChunk = Math.floor(fromByte / CHUNK);
  const lastChunk = Math.floor((toByte - 1) / CHUNK);
  const sealedChunk = CHUNK + FILE_TAG_BYTES;
  return {
    firstChunk,
    lastChunk,
    start: firstChunk * sealedChunk,
    end: lastChunk * sealedChunk + plainChunkLength(padded, lastChunk) + FILE_TAG_BYTES,
    skip: fromByte - firstChunk * CHUNK,
    length: toByte - fromByte,
    chunkCount: chunkCount(padded),
  };
}

/** A running SHA-256 (see {@link createSha256}). */
export type { Sha256 } from "#sha256";

/**
 * A fresh incremental SHA-256 (FIPS 180-4): node:crypto in Node, @noble/hashes elsewhere (see
 * `#sha256`), the same one {@link sha256Stream} uses. For hashing a blob's ciphertext piece by piece
 * while it is produced (the SDK hashes what it uploads): `update(bytes)` any number of times in
 * order, then `digest()` once for the 32 bytes.
 */
export function createSha256(): Sha256 {
  return createNodeOrNobleSha256();
}

/**
 * SHA-256 (FIPS 180-4) of a stream, computed incrementally (node:crypto in Node, @noble/hashes
 * elsewhere; see `#sha256`): over a blob's ciphertext it gives the blob id's 32 bytes (base64url
 * them for `BlobId`).
 *
 * @param chunks the bytes, in pieces of any size
 * @returns the 32-byte digest
 */
export async function sha256Stream(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<Uint8Array> {
  const hash = createNodeOrNobleSha256();
  for await (const piece of chunks) hash.update(piece);
  return hash.digest();
}

/** The 12-byte STREAM nonce: `index` as an 11-byte big-endian counter ‖ 0x01 if last, else 0x00. */
function chunkNonce(index: number, isLast: boolean): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`bad chunk index ${index}`);
  const nonce = new Uint8Array(NONCE_BYTES);
  const view = new DataView(nonce.buffer);
  view.setUint32(3, Math.floor(index / 2 ** 32));
  view.setUint32(7, index >>> 0);
  nonce[11] = isLast ? 1 : 0;
  return nonce;
}

/** Imports a checked 32-byte file key for AES-256-GCM (not extractable). */
function importFileKey(key: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", ownBytes(key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

/** {@link decryptChunk}'s imported keys, by key array; reused only while the array holds the same bytes. */
const importedKeys = new WeakMap<Uint8Array, { bytes: Uint8Array; key: Promise<CryptoKey> }>();

function cachedFileKey(key: Uint8Array): Promise<CryptoKey> {
  const cached = importedKeys.get(key);
  if (cached && equalBytes(cached.bytes, key)) return cached.key;
  const imported = importFileKey(key);
  importedKeys.set(key, { bytes: key.slice(), key: imported });
  return imported;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** Seals one chunk: its ciphertext ‖ 16-byte tag. WebCrypto copies `plain` before returning. */
async function sealChunk(
  key: CryptoKey,
  index: number,
  isLast: boolean,
  plain: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
  const iv = chunkNonce(index, isLast);
  return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plain));
}

function openChunk(key: CryptoKey, index: number, isLast: boolean, sealed: Uint8Array): Promise<Uint8Array> {
  return openChunkWithNonce(key, index, chunkNonce(index, isLast), sealed);
}

async function openChunkWithNonce(
  key: CryptoKey,
  index: number,
  iv: Uint8Array<ArrayBuffer>,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  if (sealed.length <= FILE_TAG_BYTES || sealed.length > CHUNK + FILE_TAG_BYTES) {
    throw new FileDecryptError("truncated", index, `Chunk ${index} has ${sealed.length} bytes.`);
  }
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, ownBytes(sealed)));
  } catch (error) {
    // WebCrypto reports a tag mismatch (and only that, for a well-formed call) as OperationError.
    if ((error as { name?: unknown } | null)?.name === "OperationError") {
      throw new FileDecryptError("tag", index, `Chunk ${index} does not authenticate.`);
    }
    throw error;
  }
}

/**
 * `bytes` itself when it views an ArrayBuffer, else a copy: WebCrypto refuses views of a
 * SharedArrayBuffer.
 */
function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
}

/**
 * The chunk buffers of one file, reused in turn: IN_FLIGHT + 1 of them, so the one being filled is
 * never one a WebCrypto call still reads (at most IN_FLIGHT are in flight, and a chunk's buffer comes
 * round again only after the chunk was awaited). Allocated on first use; fewer for small files.
 */
class BufferRing {
  private readonly buffers: Array<Uint8Array<ArrayBuffer>> = [];
  private turn = 0;

  /** @param bytes the length of each buffer */
  constructor(private readonly bytes: number) {}

  /** The next buffer in turn (its old contents are left: the caller overwrites what it uses). */
  next(): Uint8Array<ArrayBuffer> {
    const slot = this.turn % (IN_FLIGHT + 1);
    this.turn += 1;
    this.buffers[slot] ??= new Uint8Array(this.bytes);
    return this.buffers[slot];
  }
}

/**
 * `promise` itself, marked as handled: a chunk that fails while an earlier one is still awaited must
 * not count as an unhandled rejection; its error is thrown when the reader reaches it.
 */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Awaits opened chunks in order and yields the part of each before `size` (checking the padding). */
async function* opened(
  chunks: Array<{ index: number; plain: Promise<Uint8Array> }>,
  size: number,
): AsyncGenerator<Uint8Array> {
  for (const { index, plain } of chunks) {
    const kept = keptPlaintext(await plain, index, size);
    if (kept.length > 0) yield kept;
  }
}

/** Plaintext bytes of chunk `index` of a file padded to `padded` bytes. */
function plainChunkLength(padded: number, index: number): number {
  return Math.min(CHUNK, padded - index * CHUNK);
}

/** The part of chunk `index`'s plaintext before `size`; the rest is padding and must be zero. */
function keptPlaintext(plain: Uint8Array, index: number, size: number): Uint8Array {
  const keep = Math.max(0, Math.min(plain.length, size - index * CHUNK));
  for (let i = keep; i < plain.length; i += 1) {
    if (plain[i] !== 0)
      throw new FileDecryptError("padding", index, "The padding after the declared size is not zero.");
  }
  return keep === plain.length ? plain : plain.subarray(0, keep);
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new RangeError(`A file key is ${KEY_BYTES} bytes.`);
  }
}

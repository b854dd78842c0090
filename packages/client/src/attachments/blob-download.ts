import { chunkRange, decryptChunk, decryptFile, FileDecryptError, sha256Stream } from "@volly/crypto";
import {
  ATTACHMENT_LIMITS,
  type AttachmentPointer,
  FILE_TAG_BYTES,
  fromBase64Url,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import { type HttpApi, responseError } from "../transport/http-api.js";
import type { ByteRange } from "./attachments-api.js";

/**
 * The decrypted bytes of a whole file, fetched from `GET /v1/blobs/:id` as they are read: each
 * chunk is authenticated (file AEAD) before it is yielded, and the SHA-256 of the ciphertext is
 * compared with the blob id once the last byte arrived — the iteration throws instead of ending
 * when it differs, so a consumer that reads to the end never takes tampered bytes as the file.
 *
 * @throws VollyError VOLLY_E_BLOB_MISMATCH (tampered, truncated or extended ciphertext),
 *   VOLLY_E_NOT_FOUND (deleted, or not a member of its conversation), VOLLY_E_SERVER_UNREACHABLE
 */
export async function* decryptedFile(api: HttpApi, pointer: AttachmentPointer): AsyncIterable<Uint8Array> {
  const res = await api.fetchWithSession(`/v1/blobs/${pointer.blobId}`, { method: "GET" });
  if (!res.ok || !res.body) throw await responseError(res);
  // The ciphertext goes to the decryption and, as it passes, to the hash (`sha256Stream`).
  const copy = new ChunkQueue();
  const digest = sha256Stream(copy);
  const body = res.body;
  async function* ciphertext(): AsyncIterable<Uint8Array> {
    for await (const chunk of readChunks(body)) {
      copy.push(chunk);
      yield chunk;
    }
    copy.end();
  }
  try {
    yield* decryptFile(fromBase64Url(pointer.key), ciphertext(), pointer.size);
  } catch (err) {
    copy.end();
    throw asMismatch(err, pointer);
  } finally {
    copy.end();
  }
  if (toBase64Url(await digest) !== pointer.blobId) throw mismatch(pointer);
}

/**
 * An async iterable fed by `push` (what the hash reads while the decryption reads the same
 * chunks): it holds only the chunks the hash has not taken yet, which it takes as they come.
 */
class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const next = this.chunks.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}

/**
 * The decrypted bytes [start, end) of a file: only the encrypted chunks holding them are fetched
 * (an HTTP Range request), each authenticated before use. A range covering the whole file is
 * {@link decryptedFile} (hash checked).
 *
 * @throws VollyError VOLLY_E_USAGE (a bad range), and those of {@link decryptedFile}
 */
export async function* decryptedRange(
  api: HttpApi,
  pointer: AttachmentPointer,
  range: ByteRange,
): AsyncIterable<Uint8Array> {
  const { start, end } = range;
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(end) ||
    start < 0 ||
    end < start ||
    end > pointer.size
  ) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `The range [${start}, ${end}) is outside the file's ${pointer.size} bytes.`,
    );
  }
  if (start === end) return;
  if (start === 0 && end === pointer.size) {
    yield* decryptedFile(api, pointer);
    return;
  }
  const span = cipherSpan(pointer.size, start, end);
  const res = await api.fetchWithSession(`/v1/blobs/${pointer.blobId}`, {
    method: "GET",
    headers: { range: `bytes=${span.cipherStart}-${span.cipherEnd - 1}` },
  });
  if (res.status !== 206 || !res.body) {
    if (res.ok) {
      await res.body?.cancel();
      throw new VollyError("VOLLY_E_INTERNAL", "The server ignored the byte range.");
    }
    throw await responseError(res);
  }
  const key = fromBase64Url(pointer.key);
  const open = (sealed: Uint8Array, i: number): Uint8Array => {
    let plain: Uint8Array;
    try {
      plain = decryptChunk(key, i, i === span.finalChunk, sealed);
    } catch (err) {
      throw asMismatch(err, pointer);
    }
    // The part of this chunk inside [start, end).
    const offset = i * CHUNK;
    return plain.subarray(Math.max(0, start - offset), Math.max(0, Math.min(plain.length, end - offset)));
  };
  const lastLength = span.cipherEnd - span.cipherStart - (span.lastChunk - span.firstChunk) * SEALED;
  let index = span.firstChunk;
  let buffered: Uint8Array = new Uint8Array(0);
  for await (const piece of readChunks(res.body)) {
    buffered = buffered.length === 0 ? piece : concat([buffered, piece], buffered.length + piece.length);
    while (index < span.lastChunk && buffered.length >= SEALED) {
      yield open(buffered.subarray(0, SEALED), index);
      buffered = buffered.subarray(SEALED);
      index++;
    }
  }
  if (index !== span.lastChunk || buffered.length !== lastLength) throw mismatch(pointer);
  yield open(buffered, index);
}

/** Plaintext bytes per file AEAD chunk, and the same chunk sealed (with its tag). */
const CHUNK = ATTACHMENT_LIMITS.chunkBytes;
const SEALED = CHUNK + FILE_TAG_BYTES;

/**
 * The chunks holding plaintext bytes [start, end) of a file of `size` bytes and their ciphertext
 * byte range [cipherStart, cipherEnd) (`chunkRange` of the file AEAD); `finalChunk` is the
 * file's last chunk (sealed with the last-chunk flag).
 */
function cipherSpan(
  size: number,
  start: number,
  end: number,
): { firstChunk: number; lastChunk: number; finalChunk: number; cipherStart: number; cipherEnd: number } {
  const r = chunkRange(size, start, end);
  return {
    firstChunk: r.firstChunk,
    lastChunk: r.lastChunk,
    finalChunk: r.chunkCount - 1,
    cipherStart: r.start,
    cipherEnd: r.end,
  };
}

/**
 * Reads a fetch body in pieces (also where ReadableStream is not async-iterable); a connection lost
 * on the way throws VollyError VOLLY_E_SERVER_UNREACHABLE.
 */
export async function* readChunks(body: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read().catch((err: Error) => {
        throw new VollyError("VOLLY_E_SERVER_UNREACHABLE", `The download was interrupted: ${err.message}`);
      });
      if (done) return;
      if (value.length > 0) yield value;
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}

/** An async iterable as a ReadableStream (pulled as it is read; cancelling stops the iteration). */
export function toReadableStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await iterator.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

function asMismatch(err: unknown, pointer: AttachmentPointer): unknown {
  return err instanceof FileDecryptError ? mismatch(pointer) : err;
}

function mismatch(pointer: AttachmentPointer): VollyError {
  return new VollyError(
    "VOLLY_E_BLOB_MISMATCH",
    `The file ${pointer.name} does not match its pointer (tampered with or truncated); nothing of it is kept.`,
    { blobId: pointer.blobId },
  );
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

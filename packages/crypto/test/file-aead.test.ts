import { createCipheriv, createDecipheriv, createHash } from "node:crypto";
import { ATTACHMENT_LIMITS, blobSize, chunkCount, FILE_TAG_BYTES, paddedSize } from "@volly/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chunkRange,
  decryptChunk,
  decryptFile,
  encryptFile,
  FileDecryptError,
  generateFileKey,
  sha256Stream,
} from "../src/index.js";
import { createSha256 as browserSha256 } from "../src/sha256-browser.js";

const CHUNK = ATTACHMENT_LIMITS.chunkBytes;
const SEALED = CHUNK + FILE_TAG_BYTES;
/** The fixed key of the vectors: bytes 0x00…0x1f. */
const VECTOR_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

/** Deterministic file contents: no zero runs, so dropped or misplaced bytes show. */
function pattern(size: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = ((i * 131 + (i >>> 8) + seed * 7) % 251) + 1;
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Cuts `bytes` at the given offsets (any order, duplicates allowed: they give empty pieces). */
function cut(bytes: Uint8Array, cuts: number[] = []): Uint8Array[] {
  const points = [0, ...cuts.map((c) => Math.min(c, bytes.length)).sort((a, b) => a - b), bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

async function* stream(pieces: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of pieces) yield p;
}

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of iterable) parts.push(p);
  return concat(parts);
}

async function encrypt(key: Uint8Array, plain: Uint8Array, cuts?: number[]): Promise<Uint8Array> {
  return collect(encryptFile(key, stream(cut(plain, cuts)), plain.length));
}

/** Decrypts until the end or the first error: what a reader would have seen, and the error. */
async function readUntilError(
  key: Uint8Array,
  sealed: Uint8Array,
  size: number,
  cuts?: number[],
): Promise<{ seen: Uint8Array; error: unknown }> {
  const parts: Uint8Array[] = [];
  try {
    for await (const p of decryptFile(key, stream(cut(sealed, cuts)), size)) parts.push(p);
  } catch (error) {
    return { seen: concat(parts), error };
  }
  return { seen: concat(parts), error: undefined };
}

/** Asserts the decryption failed with FileDecryptError and showed only a correct prefix of `plain`. */
async function expectRefused(
  key: Uint8Array,
  sealed: Uint8Array,
  plain: Uint8Array,
  cause?: string,
  cuts?: number[],
): Promise<Uint8Array> {
  const { seen, error } = await readUntilError(key, sealed, plain.length, cuts);
  expect(error).toBeInstanceOf(FileDecryptError);
  expect((error as FileDecryptError).code).toBe("VOLLY_E_BLOB_MISMATCH");
  if (cause) expect((error as FileDecryptError).details).toMatchObject({ cause });
  expect(seen.length).toBeLessThan(Math.max(plain.length, 1));
  expectBytes(seen, plain.subarray(0, seen.length));
  return seen;
}

/**
 * Asserts two byte arrays are equal. (`toEqual` on large typed arrays compares element by element
 * through the generic matcher and takes seconds per MiB.) On failure shows the lengths and the
 * first differing offset.
 */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (
    actual.length === expected.length &&
    Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected)
  ) {
    return;
  }
  let at = 0;
  while (at < Math.min(actual.length, expected.length) && actual[at] === expected[at]) at += 1;
  expect({ length: actual.length, firstDifference: at }).toEqual({
    length: expected.length,
    firstDifference: -1,
  });
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** The documented STREAM nonce, written out independently of the implementation. */
function nonce(index: number, last: boolean): Uint8Array {
  const n = new Uint8Array(12);
  n[10] = index & 0xff;
  n[9] = (index >>> 8) & 0xff;
  n[8] = (index >>> 16) & 0xff;
  n[11] = last ? 1 : 0;
  return n;
}

/** Opens a sealed chunk (ciphertext ‖ 16-byte tag) with node:crypto's AES-256-GCM; throws on a bad tag. */
function gcmOpen(key: Uint8Array, iv: Uint8Array, chunk: Uint8Array): Uint8Array {
  const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: FILE_TAG_BYTES });
  decipher.setAuthTag(chunk.subarray(chunk.length - FILE_TAG_BYTES));
  return concat([decipher.update(chunk.subarray(0, chunk.length - FILE_TAG_BYTES)), decipher.final()]);
}

/** Seals a chunk with node:crypto's AES-256-GCM: ciphertext ‖ 16-byte tag. */
function gcmSeal(key: Uint8Array, iv: Uint8Array, plain: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: FILE_TAG_BYTES });
  return concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function sealedChunks(sealed: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < sealed.length; offset += SEALED)
    chunks.push(sealed.subarray(offset, offset + SEALED));
  return chunks;
}

describe("file AEAD format (age STREAM over AES-256-GCM)", () => {
  // SHA-256 of the ciphertext of pattern(size) under VECTOR_KEY: a change to the format breaks these.
  // Computed apart from this implementation, with node:crypto's aes-256-gcm, a separately written
  // Padmé and nonce, and node:crypto's SHA-256.
  const vectors: Array<{ name: string; size: number; chunks: number; sha256: string }> = [
    {
      name: "empty",
      size: 0,
      chunks: 1,
      sha256: "63dc0ab3f7326bce5acd429fa093f2eedacba22fd6944bf0d068fd767219df64",
    },
    {
      name: "1 byte",
      size: 1,
      chunks: 1,
      sha256: "428b8a15562565ab8e7cb2fd5ce03bf9ffdf19bd658fc25a90da160c261da66b",
    },
    {
      name: "256 bytes (the smallest padded size)",
      size: 256,
      chunks: 1,
      sha256: "221f2bbb73153f095e85e2818e58817ab818e46ce8b35b9d5f9b7e9cd12188ef",
    },
    {
      name: "64 KiB: one full chunk, no padding",
      size: CHUNK,
      chunks: 1,
      sha256: "c48c15ecbe72221df8acbc97479d499f971f73c642c99bde354edbc1e2d1e1d6",
    },
    {
      name: "64 KiB + 1: padded into a short second chunk",
      size: CHUNK + 1,
      chunks: 2,
      sha256: "ceb0b97f8b9a6dcb40f0baa80e5a31fe1c0ca775b00937e1c5032f8dd7f93927",
    },
    {
      name: "128 KiB: two full chunks",
      size: 2 * CHUNK,
      chunks: 2,
      sha256: "acf50c3c1d6106bc3746d331a1a1476eff9da2ea02a9b03ac052581399379ea3",
    },
    {
      name: "200 000 bytes: four chunks",
      size: 200_000,
      chunks: 4,
      sha256: "53a6177d12114c7f64b7edaac8d4574f4ff5af188a34d91fc4810771149a0a08",
    },
  ];

  for (const v of vectors) {
    it(`${v.name}: ${v.chunks} chunk(s), blobSize bytes, the committed SHA-256`, async () => {
      const plain = pattern(v.size);
      const sealed = await encrypt(VECTOR_KEY, plain);
      expect(sealed.length).toBe(blobSize(v.size));
      expect(chunkCount(paddedSize(v.size))).toBe(v.chunks);
      expect(hex(await sha256Stream(stream(cut(sealed, [7, 70_000]))))).toBe(v.sha256);

      // Every chunk opens with node:crypto's AES-256-GCM (OpenSSL, not WebCrypto's code path) under
      // the nonce written out above, independently of the implementation.
      const chunks = sealedChunks(sealed);
      expect(chunks).toHaveLength(v.chunks);
      const opened = chunks.map((chunk, i) => gcmOpen(VECTOR_KEY, nonce(i, i === chunks.length - 1), chunk));
      const padded = new Uint8Array(paddedSize(v.size));
      padded.set(plain);
      expectBytes(concat(opened), padded);
    });
  }

  it("seals chunk i under nonce = 11-byte big-endian i ‖ last flag (checked with node:crypto AES-256-GCM)", async () => {
    const plain = pattern(200_000, 3);
    const chunks = sealedChunks(await encrypt(VECTOR_KEY, plain));
    const last = chunks.length - 1;
    expectBytes(gcmOpen(VECTOR_KEY, nonce(0, false), chunks[0] as Uint8Array), plain.subarray(0, CHUNK));
    const tail = gcmOpen(VECTOR_KEY, nonce(last, true), chunks[last] as Uint8Array);
    expectBytes(tail.subarray(0, plain.length - last * CHUNK), plain.subarray(last * CHUNK));
    expect(tail.subarray(plain.length - last * CHUNK).every((b) => b === 0)).toBe(true);
    // The same chunk under the other flag or counter does not open.
    expect(() => gcmOpen(VECTOR_KEY, nonce(0, true), chunks[0] as Uint8Array)).toThrow();
    expect(() => gcmOpen(VECTOR_KEY, nonce(1, false), chunks[0] as Uint8Array)).toThrow();
    // And a chunk sealed by node:crypto under the documented nonce opens with decryptChunk.
    const foreign = gcmSeal(VECTOR_KEY, nonce(1, false), plain.subarray(CHUNK, 2 * CHUNK));
    expectBytes(foreign, chunks[1] as Uint8Array);
    expectBytes(await decryptChunk(VECTOR_KEY, 1, false, foreign), plain.subarray(CHUNK, 2 * CHUNK));
  });

  it("pads past 4 MiB with whole zero chunks (Padmé steps exceed a chunk) and strips them on decryption", async () => {
    const size = 4 * 1024 * 1024 + 1;
    const plain = pattern(size, 5);
    const key = generateFileKey();
    const sealed = await encrypt(key, plain, [1_000_000, 3_000_001]);
    expect(paddedSize(size) - size).toBeGreaterThan(CHUNK);
    expect(sealed.length).toBe(blobSize(size));
    expectBytes(await collect(decryptFile(key, stream(cut(sealed, [12345])), size)), plain);
  });

  it("hashes a stream like a one-shot SHA-256, in Node (node:crypto) and in the browser module (@noble)", async () => {
    const bytes = pattern(3 * CHUNK + 77, 11);
    const expected = createHash("sha256").update(bytes).digest("hex");
    const pieces = cut(bytes, [0, 1, 1, 5000, 200_000]);
    const digest = await sha256Stream(stream(pieces));
    expect(digest).toBeInstanceOf(Uint8Array);
    expect(hex(digest)).toBe(expected);
    const browser = browserSha256();
    for (const p of pieces) browser.update(p);
    expect(hex(browser.digest())).toBe(expected);
    expect(hex(await sha256Stream([]))).toBe(createHash("sha256").digest("hex"));
  });

  it("generates fresh 32-byte keys", () => {
    const a = generateFileKey();
    expect(a).toHaveLength(32);
    expect(generateFileKey()).not.toEqual(a);
  });
});

describe("file AEAD round trips", () => {
  it("decrypts what it encrypted, whatever the size and however input and ciphertext are cut", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 * CHUNK + 5000 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 0, max: 250 }),
        async (size, inCuts, outCuts, seed) => {
          const plain = pattern(size, seed);
          const key = generateFileKey();
          const sealed = await encrypt(
            key,
            plain,
            inCuts.map((c) => c % (size + 1)),
          );
          expect(sealed.length).toBe(blobSize(size));
          const cuts = outCuts.map((c) => c % (sealed.length + 1));
          expectBytes(await collect(decryptFile(key, stream(cut(sealed, cuts)), size)), plain);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("yields 64 KiB + 16-byte sealed chunks from 1-byte and from whole-file input pieces alike", async () => {
    const plain = pattern(3 * CHUNK + 10);
    const key = generateFileKey();
    const pieces = [...plain].map((b) => Uint8Array.of(b));
    const sizes: number[] = [];
    for await (const c of encryptFile(key, stream(pieces), plain.length)) sizes.push(c.length);
    expect(sizes.slice(0, -1)).toEqual([SEALED, SEALED, SEALED]);
    expectBytes(
      await collect(encryptFile(key, [plain], plain.length)),
      await encrypt(
        key,
        plain,
        pieces.map((_, i) => i),
      ),
    );
  });

  it("refuses a source longer or shorter than the declared size, and a key that is not 32 bytes", async () => {
    const key = generateFileKey();
    const plain = pattern(CHUNK + 7);
    await expect(collect(encryptFile(key, stream([plain]), plain.length - 1))).rejects.toThrow(RangeError);
    await expect(collect(encryptFile(key, stream([plain]), plain.length + 1))).rejects.toThrow(RangeError);
    // A source exactly a chunk longer: never a complete ciphertext, the last chunk is not sealed.
    const sealedBeforeError: Uint8Array[] = [];
    await expect(
      (async () => {
        for await (const c of encryptFile(key, stream([plain, pattern(CHUNK)]), plain.length))
          sealedBeforeError.push(c);
      })(),
    ).rejects.toThrow(RangeError);
    expect(sealedBeforeError.length).toBeLessThan(chunkCount(paddedSize(plain.length)));
    expect(() => encryptFile(new Uint8Array(16), stream([plain]), plain.length)).toThrow(RangeError);
    expect(() => decryptFile(key, stream([]), -1)).toThrow(RangeError);
  });
});

describe("file AEAD refuses tampered ciphertext with FileDecryptError, after a correct prefix at most", () => {
  const size = 150_000; // padded to 151 552 bytes: chunks of 65 536, 65 536 and 20 480
  const plain = pattern(size, 9);
  const key = generateFileKey();
  const sealedPromise = encrypt(key, plain);

  it("a dropped last chunk (truncation at a chunk boundary)", async () => {
    const sealed = await sealedPromise;
    const seen = await expectRefused(key, sealed.subarray(0, 2 * SEALED), plain, "truncated");
    expectBytes(seen, plain.subarray(0, 2 * CHUNK));
  });

  it("a ciphertext cut at any byte", async () => {
    const sealed = await sealedPromise;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: sealed.length - 1 }), async (length) => {
        await expectRefused(key, sealed.subarray(0, length), plain);
      }),
      { numRuns: 60 },
    );
  });

  it("two chunks swapped", async () => {
    const sealed = await sealedPromise;
    const [a, b, c] = sealedChunks(sealed) as [Uint8Array, Uint8Array, Uint8Array];
    const seen = await expectRefused(key, concat([b, a, c]), plain, "tag");
    expect(seen).toHaveLength(0);
  });

  it("any flipped bit, noticed at the chunk that holds it", async () => {
    const sealed = await sealedPromise;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: sealed.length * 8 - 1 }), async (bit) => {
        const bad = sealed.slice();
        bad[bit >>> 3] = (bad[bit >>> 3] as number) ^ (1 << (bit & 7));
        const seen = await expectRefused(key, bad, plain, "tag");
        expect(seen.length).toBe(Math.floor((bit >>> 3) / SEALED) * CHUNK);
      }),
      { numRuns: 60 },
    );
  });

  it("extra bytes appended (one byte, or a whole valid-looking chunk), before the last chunk is shown", async () => {
    const sealed = await sealedPromise;
    for (const extra of [Uint8Array.of(0), sealedChunks(sealed)[0] as Uint8Array]) {
      const seen = await expectRefused(key, concat([sealed, extra]), plain, "extra", [sealed.length]);
      expectBytes(seen, plain.subarray(0, 2 * CHUNK));
    }
  });

  it("a file cut to a non-last chunk sealed as last", async () => {
    const sealed = await sealedPromise;
    const chunks = sealedChunks(sealed);
    const middle = gcmOpen(key, nonce(1, false), chunks[1] as Uint8Array);
    const flaggedLast = gcmSeal(key, nonce(1, true), middle);
    // In place of chunk 1 of the same file, and as the end of a file cut after it.
    await expectRefused(
      key,
      concat([chunks[0] as Uint8Array, flaggedLast, chunks[2] as Uint8Array]),
      plain,
      "tag",
    );
    await expectRefused(key, concat([chunks[0] as Uint8Array, flaggedLast]), plain);
    await expect(decryptChunk(key, 1, false, flaggedLast)).rejects.toMatchObject({
      name: "FileDecryptError",
      details: { cause: "tag", chunk: 1 },
    });
    expectBytes(await decryptChunk(key, 1, true, flaggedLast), middle);
  });

  it("the wrong key, and a declared size smaller than the file's (non-zero padding)", async () => {
    const sealed = await sealedPromise;
    expect((await expectRefused(generateFileKey(), sealed, plain, "tag")).length).toBe(0);
    // 149 000 pads to the same 151 552 bytes, so only the padding check notices.
    expect(paddedSize(149_000)).toBe(paddedSize(size));
    const { seen, error } = await readUntilError(key, sealed, 149_000);
    expect(error).toBeInstanceOf(FileDecryptError);
    expect((error as FileDecryptError).details).toMatchObject({ cause: "padding", chunk: 2 });
    expectBytes(seen, plain.subarray(0, 2 * CHUNK));
  });
});

describe("ranges: chunkRange + decryptChunk", () => {
  /** Reads plaintext [from, to) the way a seeking player does: fetch the range, open its chunks. */
  async function readRange(
    key: Uint8Array,
    sealed: Uint8Array,
    size: number,
    from: number,
    to: number,
  ): Promise<Uint8Array> {
    const r = chunkRange(size, from, to);
    const fetched = sealed.subarray(r.start, r.end);
    const parts: Uint8Array[] = [];
    for (const [i, chunk] of sealedChunks(fetched).entries()) {
      parts.push(await decryptChunk(key, r.firstChunk + i, r.firstChunk + i === r.chunkCount - 1, chunk));
    }
    expect(parts).toHaveLength(r.lastChunk - r.firstChunk + 1);
    return concat(parts).subarray(r.skip, r.skip + r.length);
  }

  it("gives the right bytes for random ranges of random files, fetching only the chunks that hold them", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 * CHUNK + 3000 }),
        fc.nat(),
        fc.nat(),
        async (size, a, b) => {
          const from = a % size;
          const to = from + 1 + (b % (size - from));
          const plain = pattern(size, a % 250);
          const key = generateFileKey();
          const sealed = await encrypt(key, plain);
          const r = chunkRange(size, from, to);
          expect(r.end).toBeLessThanOrEqual(sealed.length);
          expect(r.end - r.start).toBeLessThanOrEqual((r.lastChunk - r.firstChunk + 1) * SEALED);
          expectBytes(await readRange(key, sealed, size, from, to), plain.subarray(from, to));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("covers the whole last chunk, padding and tag included, for a range ending at the file's end", () => {
    const size = 150_000;
    const r = chunkRange(size, size - 1, size);
    expect(r).toEqual({
      firstChunk: 2,
      lastChunk: 2,
      start: 2 * SEALED,
      end: blobSize(size),
      skip: size - 1 - 2 * CHUNK,
      length: 1,
      chunkCount: 3,
    });
  });

  it("refuses empty, reversed or out-of-file ranges", () => {
    for (const [from, to] of [
      [0, 0],
      [5, 4],
      [-1, 3],
      [0, 101],
      [0.5, 3],
    ] as const) {
      expect(() => chunkRange(100, from, to)).toThrow(RangeError);
    }
    expect(() => chunkRange(0, 0, 0)).toThrow(RangeError);
  });

  it("refuses a chunk of the wrong length or at the wrong index", async () => {
    const key = generateFileKey();
    const chunks = sealedChunks(await encrypt(key, pattern(2 * CHUNK)));
    await expect(decryptChunk(key, 0, false, new Uint8Array(FILE_TAG_BYTES))).rejects.toMatchObject({
      name: "FileDecryptError",
      details: { cause: "truncated", chunk: 0 },
    });
    await expect(decryptChunk(key, 1, false, chunks[0] as Uint8Array)).rejects.toMatchObject({
      name: "FileDecryptError",
      details: { cause: "tag", chunk: 1 },
    });
    await expect(decryptChunk(generateFileKey(), 1, true, chunks[1] as Uint8Array)).rejects.toThrow(
      FileDecryptError,
    );
    expectBytes(
      await decryptChunk(key, 1, true, chunks[1] as Uint8Array),
      pattern(2 * CHUNK).subarray(CHUNK),
    );
    // The imported key is reused for the same array only while it holds the same bytes.
    const changing = key.slice();
    expectBytes(
      await decryptChunk(changing, 0, false, chunks[0] as Uint8Array),
      pattern(2 * CHUNK).subarray(0, CHUNK),
    );
    changing.set(generateFileKey());
    await expect(decryptChunk(changing, 0, false, chunks[0] as Uint8Array)).rejects.toThrow(FileDecryptError);
    expect(() => decryptChunk(new Uint8Array(31), 0, false, chunks[0] as Uint8Array)).toThrow(RangeError);
    expect(() => decryptChunk(key, -1, false, chunks[0] as Uint8Array)).toThrow(RangeError);
  });
});

import { sha256Stream } from "@volly/crypto";
import { describe, expect, it } from "vitest";
import { CiphertextSource } from "../src/attachments/ciphertext-source.js";

/** A deterministic "ciphertext" of `size` bytes (byte i = i mod 251), yielded in pieces of `piece`. */
function passes(size: number, piece: number) {
  let opened = 0;
  let produced = 0;
  const open = async function* () {
    opened++;
    produced = 0;
    for (let at = 0; at < size; at += piece) {
      const n = Math.min(piece, size - at);
      produced += n;
      yield Uint8Array.from({ length: n }, (_, i) => (at + i) % 251);
    }
  };
  return { open, opened: () => opened, produced: () => produced };
}

/** Lets queued work run until `condition` holds (at most 1,000 turns of the event loop). */
async function settle(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1_000 && !condition(); turn++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}

/** Bytes [from, to) of that ciphertext, as numbers. */
const expected = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => (from + i) % 251);

/** A slice as numbers, its `size` (what tus-js-client reads) and `done`. */
async function read(source: CiphertextSource, start: number, end: number) {
  const { value, done } = await source.slice(start, end);
  return { bytes: Array.from(value), size: value.size, done };
}

describe("CiphertextSource (what tus-js-client reads PATCH bodies from)", () => {
  it("serves consecutive ranges from one pass with their size, the last one flagged done", async () => {
    const p = passes(1000, 64);
    const source = new CiphertextSource(1000, p.open);
    expect(await read(source, 0, 300)).toEqual({ bytes: expected(0, 300), size: 300, done: false });
    expect(await read(source, 300, 600)).toEqual({ bytes: expected(300, 600), size: 300, done: false });
    expect(await read(source, 600, 5000)).toEqual({ bytes: expected(600, 1000), size: 400, done: true });
    expect(p.opened()).toBe(1);
  });

  it("resumes at the server's offset: skips forward without holding what it skips, and starts a new pass to go back", async () => {
    const p = passes(10_000, 333);
    const source = new CiphertextSource(10_000, p.open);
    expect((await read(source, 7_000, 7_100)).bytes).toEqual(expected(7_000, 7_100));
    expect(p.opened()).toBe(1);
    // A retry after a dropped request restarts at an earlier offset the server confirmed.
    expect(await read(source, 6_500, 10_000)).toEqual({
      bytes: expected(6_500, 10_000),
      size: 3_500,
      done: true,
    });
    expect(p.opened()).toBe(2);
    source.close();
  });

  it("hashes the ciphertext once while it is read: the digest is the SHA-256 of the whole, re-reads included", async () => {
    const size = 10_000;
    const p = passes(size, 333);
    const whole = await sha256Stream(p.open());
    const source = new CiphertextSource(size, p.open);
    await read(source, 0, 3_000);
    await read(source, 3_000, 6_000);
    // A dropped request: tus-js-client goes back to the server's offset (a new pass from byte 0).
    await read(source, 4_500, 6_000);
    // And again, within the same pass.
    await read(source, 6_000, 8_000);
    source.close();
    await read(source, 7_000, 8_000);
    expect(await read(source, 8_000, size)).toMatchObject({ done: true });
    expect(p.opened()).toBe(1 + 3);
    expect(await source.digest()).toEqual(whole);
    expect(await source.digest()).toEqual(whole);
  });

  it("after a restart at the server's offset, hashes the bytes before it (encrypted again, not served)", async () => {
    const size = 10_000;
    const p = passes(size, 333);
    const whole = await sha256Stream(p.open());
    const source = new CiphertextSource(size, p.open);
    expect((await read(source, 6_100, 8_000)).bytes).toEqual(expected(6_100, 8_000));
    await read(source, 8_000, size);
    expect(await source.digest()).toEqual(whole);
    expect(p.opened()).toBe(2);

    // The server already had every byte (the last answer was lost): nothing is served, all is hashed.
    const finished = new CiphertextSource(size, p.open);
    expect(await finished.digest()).toEqual(whole);
    // Read partway, then the upload turned out complete: the rest is hashed from the same pass.
    const partway = new CiphertextSource(size, p.open);
    await read(partway, 0, 2_000);
    expect(await partway.digest()).toEqual(whole);
    expect(p.opened()).toBe(4);
  });

  it("refuses a digest of a ciphertext shorter than its size", async () => {
    const p = passes(100, 64);
    const source = new CiphertextSource(150, p.open);
    await expect(source.digest()).rejects.toThrow(/100 bytes, not 150/);
  });

  it("reports a short ciphertext as a short last slice (the server then refuses the upload's length)", async () => {
    const p = passes(100, 64);
    const source = new CiphertextSource(150, p.open);
    expect(await read(source, 0, 150)).toMatchObject({ size: 100, done: false });
  });

  it("reads ahead while the caller sends a slice: up to readAheadBytes more, then waits", async () => {
    const p = passes(10_000, 100);
    const source = new CiphertextSource(10_000, p.open, 1_000);
    expect((await read(source, 0, 500)).bytes).toEqual(expected(0, 500));
    // Nothing asked yet, and the next 1,000 bytes are produced (encrypted, hashed) meanwhile.
    await settle(() => p.produced() >= 1_500);
    for (let turn = 0; turn < 50; turn++) await new Promise((r) => setImmediate(r));
    expect(p.produced()).toBe(1_500);
    expect(await read(source, 500, 2_000)).toEqual({ bytes: expected(500, 2_000), size: 1_500, done: false });
    await settle(() => p.produced() >= 3_000);
    expect((await read(source, 2_000, 10_000)).bytes).toEqual(expected(2_000, 10_000));
    expect(await source.digest()).toEqual(await sha256Stream([Uint8Array.from(expected(0, 10_000))]));
    expect(p.opened()).toBe(1);
  });

  it("a failure while reading ahead is thrown by the next slice, not lost", async () => {
    const open = async function* () {
      yield new Uint8Array(300);
      throw new Error("the file changed while it was read");
    };
    const source = new CiphertextSource(1_000, open, 1_000);
    expect((await read(source, 0, 100)).size).toBe(100);
    await expect(source.slice(100, 1_000)).rejects.toThrow(/file changed/);
  });
});

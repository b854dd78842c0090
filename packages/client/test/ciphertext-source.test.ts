import { describe, expect, it } from "vitest";
import { CiphertextSource } from "../src/attachments/ciphertext-source.js";

/** A deterministic "ciphertext" of `size` bytes (byte i = i mod 251), yielded in pieces of `piece`. */
function passes(size: number, piece: number) {
  let opened = 0;
  const open = async function* () {
    opened++;
    for (let at = 0; at < size; at += piece) {
      const n = Math.min(piece, size - at);
      yield Uint8Array.from({ length: n }, (_, i) => (at + i) % 251);
    }
  };
  return { open, opened: () => opened };
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

  it("reports a short ciphertext as a short last slice (the server then refuses the upload's length)", async () => {
    const p = passes(100, 64);
    const source = new CiphertextSource(150, p.open);
    expect(await read(source, 0, 150)).toMatchObject({ size: 100, done: false });
  });
});

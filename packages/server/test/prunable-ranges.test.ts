import { describe, expect, it } from "vitest";
import { prunableRanges } from "../src/services/prunable-ranges.js";
import type { GroupReader } from "../src/store/types.js";

const reader = (
  deviceId: string,
  joinedSeq: number,
  cursor: number,
  leftSeq: number | null = null,
): GroupReader => ({
  deviceId,
  joinedSeq,
  cursor,
  leftSeq,
});

describe("prunableRanges: which seqs every reader but the sender has processed", () => {
  it("a device alone in its group: everything it sent is done", () => {
    expect(prunableRanges([reader("a", 0, 0)], 0, 9)).toEqual([{ afterSeq: 0, upToSeq: 9, sender: "a" }]);
  });

  it("everyone caught up: the whole range is done, whoever sent it", () => {
    expect(prunableRanges([reader("a", 0, 9), reader("b", 3, 9)], 0, 9)).toEqual([
      { afterSeq: 0, upToSeq: 9 },
    ]);
  });

  it("one reader behind: up to its cursor for everyone, past it only its own entries", () => {
    expect(prunableRanges([reader("a", 0, 9), reader("b", 0, 4)], 0, 9)).toEqual([
      { afterSeq: 0, upToSeq: 4 },
      { afterSeq: 4, upToSeq: 9, sender: "b" },
    ]);
  });

  it("two readers behind: nothing where both are, each one's own where only it is", () => {
    expect(prunableRanges([reader("a", 0, 2), reader("b", 0, 5), reader("c", 0, 9)], 0, 9)).toEqual([
      { afterSeq: 0, upToSeq: 2 },
      { afterSeq: 2, upToSeq: 5, sender: "a" },
    ]);
  });

  it("a reader reads only after it joined and up to its membership's end", () => {
    // b joined at 6 (reads 7..), c left at 3 having read nothing (reads 1..3)
    expect(prunableRanges([reader("a", 0, 9), reader("b", 6, 6), reader("c", 0, 0, 3)], 0, 9)).toEqual([
      { afterSeq: 0, upToSeq: 3, sender: "c" },
      { afterSeq: 3, upToSeq: 6 },
      { afterSeq: 6, upToSeq: 9, sender: "b" },
    ]);
  });

  it("starts after what is already pruned and stops at upToSeq", () => {
    expect(prunableRanges([reader("a", 0, 0), reader("b", 0, 20)], 5, 8)).toEqual([
      { afterSeq: 5, upToSeq: 8, sender: "a" },
    ]);
    expect(prunableRanges([reader("a", 0, 0)], 8, 8)).toEqual([]);
  });

  it("a group nobody reads any more: all done", () => {
    expect(prunableRanges([reader("a", 0, 0, 2), reader("b", 0, 5, 5)], 0, 5)).toEqual([
      { afterSeq: 0, upToSeq: 2, sender: "a" },
      { afterSeq: 2, upToSeq: 5 },
    ]);
  });
});

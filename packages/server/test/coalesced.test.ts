import { describe, expect, it } from "vitest";
import { coalesced } from "../src/federation/coalesced.js";

describe("coalesced", () => {
  it("never overlaps runs, and answers callers who asked during a run with one more run", async () => {
    let active = 0;
    let runs = 0;
    const gates: (() => void)[] = [];
    const run = coalesced(async () => {
      active++;
      expect(active).toBe(1);
      runs++;
      await new Promise<void>((resolve) => gates.push(resolve));
      active--;
    });
    const first = run();
    const second = run(); // asked during the first run
    const third = run();
    expect(second).toBe(first);
    expect(third).toBe(first);
    gates.shift()?.();
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2); // one more run for the two who asked meanwhile, not two
    gates.shift()?.();
    await first;
    expect(runs).toBe(2);
    const later = run();
    expect(later).not.toBe(first);
    gates.shift()?.();
    await later;
    expect(runs).toBe(3);
  });

  it("rejects with the failing run's error and runs again on the next call", async () => {
    let fail = true;
    const run = coalesced(async () => {
      if (fail) throw new Error("boom");
    });
    await expect(run()).rejects.toThrow("boom");
    fail = false;
    await expect(run()).resolves.toBeUndefined();
  });
});

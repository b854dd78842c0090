import { reconnectDelayMs } from "@volly/client";
import { describe, expect, it } from "vitest";

const backoff = { initialMs: 250, maxMs: 30_000 };

/** The gateway's reconnect delay: exponential backoff with equal jitter (gateway-connection.ts). */
describe("reconnectDelayMs", () => {
  it("doubles the ceiling with every attempt until the cap, then stays there", () => {
    // random() → 1 (just under) gives the ceiling; random() → 0 gives half of it.
    const ceiling = (attempt: number) => reconnectDelayMs(attempt, backoff, () => 1);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(ceiling)).toEqual([
      250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000,
    ]);
    for (const attempt of [8, 20, 100, 5_000]) expect(ceiling(attempt)).toBe(30_000);
    expect(reconnectDelayMs(3, backoff, () => 0)).toBe(1_000);
    expect(reconnectDelayMs(3, backoff, () => 0.5)).toBe(1_500);
  });

  it("draws the delay from [ceiling / 2, ceiling) with Math.random, spread over that range", () => {
    for (const attempt of [0, 4, 12]) {
      const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
      const delays = Array.from({ length: 2_000 }, () => reconnectDelayMs(attempt, backoff));
      for (const d of delays) {
        expect(d).toBeGreaterThanOrEqual(ceiling / 2);
        expect(d).toBeLessThan(ceiling);
      }
      // Randomised, not a constant: both quarters of the jitter range are hit.
      expect(delays.some((d) => d < ceiling * 0.625)).toBe(true);
      expect(delays.some((d) => d > ceiling * 0.875)).toBe(true);
      expect(new Set(delays).size).toBeGreaterThan(1_000);
    }
  });
});

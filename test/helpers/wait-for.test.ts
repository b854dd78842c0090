import { describe, expect, it } from "vitest";
import { waitFor } from "./wait-for.js";

describe("waitFor (the one wait of every test suite)", () => {
  it("resolves as soon as the condition holds, sync or async", async () => {
    let checks = 0;
    await waitFor(() => ++checks === 3, { intervalMs: 1 });
    expect(checks).toBe(3);
    await waitFor(async () => true);
  });

  it("fails with the message after timeoutMs, having kept checking until then", async () => {
    let checks = 0;
    await expect(
      waitFor(() => ++checks < 0, { timeoutMs: 50, intervalMs: 5, message: "the impossible" }),
    ).rejects.toThrow("timed out waiting for the impossible");
    expect(checks).toBeGreaterThan(2);
  });

  it("fails at once with what the condition throws, unless told to ignore errors", async () => {
    const boom = () => {
      throw new Error("boom");
    };
    await expect(waitFor(boom, { timeoutMs: 60_000 })).rejects.toThrow("boom");
    let checks = 0;
    await waitFor(
      () => {
        if (++checks < 3) throw new Error("not there yet");
        return true;
      },
      { intervalMs: 1, ignoreErrors: true },
    );
    expect(checks).toBe(3);
    await expect(waitFor(boom, { timeoutMs: 20, intervalMs: 5, ignoreErrors: true })).rejects.toThrow(
      "timed out waiting for condition (last error: boom)",
    );
  });
});

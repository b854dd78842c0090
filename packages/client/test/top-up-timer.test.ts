import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TopUpTimer } from "../src/scheduled/top-up-timer.js";

describe("TopUpTimer (the scheduled top-up's wake-up)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("wakes once at the armed time, and a new arming replaces the earlier one", () => {
    const wake = vi.fn();
    const timer = new TopUpTimer(wake);
    timer.arm(Date.now() + 1_000);
    timer.arm(Date.now() + 5_000);
    vi.advanceTimersByTime(4_999);
    expect(wake).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(wake).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(wake).toHaveBeenCalledTimes(1);
  });

  it("wakes at once for a time already past; clear and dispose cancel it", () => {
    const wake = vi.fn();
    const timer = new TopUpTimer(wake);
    timer.arm(Date.now() - 10);
    vi.advanceTimersByTime(0);
    expect(wake).toHaveBeenCalledTimes(1);
    timer.arm(Date.now() + 100);
    timer.clear();
    vi.advanceTimersByTime(1_000);
    expect(wake).toHaveBeenCalledTimes(1);
    timer.arm(Date.now() + 100);
    timer.dispose();
    timer.arm(Date.now() + 100);
    vi.advanceTimersByTime(1_000);
    expect(wake).toHaveBeenCalledTimes(1);
  });

  it("reaches a time beyond setTimeout's 2^31 − 1 ms limit (a weekly series' next occurrence)", () => {
    const wake = vi.fn();
    const timer = new TopUpTimer(wake);
    const thirtyDays = 30 * 24 * 60 * 60 * 1000;
    timer.arm(Date.now() + thirtyDays);
    vi.advanceTimersByTime(2_147_483_647);
    expect(wake).not.toHaveBeenCalled();
    vi.advanceTimersByTime(thirtyDays - 2_147_483_647);
    expect(wake).toHaveBeenCalledTimes(1);
  });
});

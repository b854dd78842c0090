import { CallKeySchedule, RETIRE_PREVIOUS_EPOCH_AFTER_MS } from "@volly/client";
import type { SFrameMlsEpoch } from "@volly/crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/** An epoch's keys as `client.calls.mediaKeys` gives them (only `epoch` matters here). */
function keysOf(epoch: number): SFrameMlsEpoch {
  return { cipherSuite: 4, epoch, baseKey: new Uint8Array(16), ownSenderIndex: 0, senderIndices: [0, 1] };
}

/** A fetch the test answers by hand, one call at a time. */
function manualFetch() {
  const waiting: Array<(keys: SFrameMlsEpoch) => void> = [];
  const failing: Array<(error: unknown) => void> = [];
  let calls = 0;
  return {
    fetchKeys: () => {
      calls += 1;
      return new Promise<SFrameMlsEpoch>((resolve, reject) => {
        waiting.push(resolve);
        failing.push(reject);
      });
    },
    get calls() {
      return calls;
    },
    get open() {
      return waiting.length;
    },
    answer(epoch: number) {
      failing.shift();
      waiting.shift()?.(keysOf(epoch));
    },
    fail(error: unknown) {
      waiting.shift();
      failing.shift()?.(error);
    },
  };
}

/** Lets queued promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

describe("CallKeySchedule (RFC 9605 §5.2 re-keying)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function schedule(fetchKeys: () => Promise<SFrameMlsEpoch>, retireAfterMs = 1_000) {
    const installed: number[] = [];
    const retired: number[] = [];
    const errors: unknown[] = [];
    const keys = new CallKeySchedule({
      fetchKeys,
      install: (epoch) => {
        installed.push(epoch.epoch);
      },
      retire: (epoch) => {
        retired.push(epoch);
      },
      retireAfterMs,
      onError: (error) => errors.push(error),
    });
    return { keys, installed, retired, errors };
  }

  it("installs the current epoch on start, a newer one on refresh, and retires the previous one retireAfterMs later", async () => {
    let epoch = 3;
    const s = schedule(async () => keysOf(epoch));
    expect((await s.keys.start()).epoch).toBe(3);
    expect([s.installed, s.keys.installedEpoch]).toEqual([[3], 3]);

    epoch = 4;
    await s.keys.refresh();
    expect(s.installed).toEqual([3, 4]);
    vi.advanceTimersByTime(999);
    expect(s.retired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(s.retired).toEqual([3]);
  });

  it("ignores a refresh whose epoch is not newer than the installed one", async () => {
    const s = schedule(async () => keysOf(5));
    await s.keys.start();
    await s.keys.refresh();
    vi.runAllTimers();
    expect([s.installed, s.retired]).toEqual([[5], []]);
  });

  it("coalesces refreshes asked for while a fetch runs into one more run after it: never two fetches at once", async () => {
    const fetch = manualFetch();
    const s = schedule(fetch.fetchKeys);
    const started = s.keys.start();
    await settle();
    fetch.answer(1);
    await started;

    const first = s.keys.refresh();
    await settle();
    expect([fetch.calls, fetch.open]).toEqual([2, 1]);
    const second = s.keys.refresh();
    const third = s.keys.refresh();
    expect(third).toBe(second);
    await settle();
    expect(fetch.open).toBe(1);

    fetch.answer(2);
    await first;
    await settle();
    expect([fetch.calls, fetch.open]).toEqual([3, 1]);
    fetch.answer(3);
    await second;
    expect(fetch.calls).toBe(3);
    expect(s.installed).toEqual([1, 2, 3]);
    vi.runAllTimers();
    expect(s.retired).toEqual([1, 2]);
  });

  it("ignores an older epoch answered after a newer one was installed", async () => {
    const answers = [7, 9, 8];
    const s = schedule(async () => keysOf(answers.shift() ?? 0));
    await s.keys.start();
    await s.keys.refresh();
    await s.keys.refresh();
    expect(s.installed).toEqual([7, 9]);
    expect(s.keys.installedEpoch).toBe(9);
  });

  it("runs a refresh asked for during start after it, with the start's epoch as the one retired", async () => {
    const fetch = manualFetch();
    const s = schedule(fetch.fetchKeys);
    const started = s.keys.start();
    const refreshed = s.keys.refresh();
    await settle();
    expect(fetch.open).toBe(1);
    fetch.answer(1);
    await started;
    await settle();
    fetch.answer(2);
    await refreshed;
    vi.runAllTimers();
    expect([s.installed, s.retired]).toEqual([[1, 2], [1]]);
  });

  it("reports a refresh's fetch error to onError, keeps the installed keys and refreshes again later", async () => {
    const answers: Array<number | Error> = [1, new Error("offline"), 2];
    const s = schedule(async () => {
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return keysOf(next ?? 0);
    });
    await s.keys.start();
    await expect(s.keys.refresh()).resolves.toBeUndefined();
    expect(s.errors).toEqual([new Error("offline")]);
    expect(s.keys.installedEpoch).toBe(1);
    await s.keys.refresh();
    expect(s.installed).toEqual([1, 2]);
  });

  it("rejects start with the fetch's error (not onError) and can start again", async () => {
    const answers: Array<number | Error> = [new Error("not a member"), 4];
    const s = schedule(async () => {
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return keysOf(next ?? 0);
    });
    await expect(s.keys.start()).rejects.toThrow("not a member");
    expect(s.errors).toEqual([]);
    expect((await s.keys.start()).epoch).toBe(4);
  });

  it("reports a retirement's error (thrown or rejected) to onError instead of throwing from the timer", async () => {
    let epoch = 1;
    const errors: unknown[] = [];
    const keys = new CallKeySchedule({
      fetchKeys: async () => keysOf(epoch),
      install: () => undefined,
      retire: (n) => {
        if (n === 1) return Promise.reject(new Error("async"));
        throw new Error("sync");
      },
      retireAfterMs: 10,
      onError: (error) => errors.push(error),
    });
    await keys.start();
    epoch = 2;
    await keys.refresh();
    epoch = 3;
    await keys.refresh();
    vi.advanceTimersByTime(10);
    await settle();
    expect(errors).toHaveLength(2);
    expect(errors).toEqual(expect.arrayContaining([new Error("async"), new Error("sync")]));
  });

  it("cancels pending retirements on dispose and installs nothing afterwards", async () => {
    const fetch = manualFetch();
    const s = schedule(fetch.fetchKeys);
    const started = s.keys.start();
    await settle();
    fetch.answer(1);
    await started;
    const refreshed = s.keys.refresh();
    await settle();
    fetch.answer(2);
    await refreshed;
    expect(vi.getTimerCount()).toBe(1);

    const late = s.keys.refresh();
    await settle();
    s.keys.dispose();
    expect(vi.getTimerCount()).toBe(0);
    fetch.answer(3);
    await late;
    await s.keys.refresh();
    expect(fetch.calls).toBe(3);
    vi.runAllTimers();
    expect([s.installed, s.retired]).toEqual([[1, 2], []]);
  });

  it("retires after RETIRE_PREVIOUS_EPOCH_AFTER_MS (5 s) unless told otherwise", async () => {
    let epoch = 1;
    const retired: number[] = [];
    const keys = new CallKeySchedule({
      fetchKeys: async () => keysOf(epoch),
      install: () => undefined,
      retire: (n) => {
        retired.push(n);
      },
    });
    await keys.start();
    epoch = 2;
    await keys.refresh();
    expect(RETIRE_PREVIOUS_EPOCH_AFTER_MS).toBe(5_000);
    vi.advanceTimersByTime(4_999);
    expect(retired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(retired).toEqual([1]);
  });
});

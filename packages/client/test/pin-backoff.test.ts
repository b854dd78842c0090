import { join } from "node:path";
import { createProfile, PIN_BACKOFF, pinRetryDelayMs, unlockProfile } from "@volly/client";
import { openProfileStore } from "@volly/client/node";
import { VollyError } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers/temp-dir.js";
import { TEST_KDF, type TestServer, testServer } from "./helpers.js";

async function codeAndDetails(
  p: Promise<unknown>,
): Promise<{ code: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof VollyError)
      return { code: err.code, ...(err.details ? { details: err.details } : {}) };
    throw err;
  }
  return { code: "ok" };
}

describe("PIN attempts are slowed down", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it("delays are 2^(n−3) s after the third failure, capped at 5 minutes", () => {
    expect([0, 1, 2, 3, 4, 5, 10, 11, 30].map(pinRetryDelayMs)).toEqual([
      0, 0, 0, 1_000, 2_000, 4_000, 128_000, 256_000, 300_000,
    ]);
    expect(PIN_BACKOFF.maxMs).toBe(300_000);
  });

  it("after three wrong PINs the next attempt must wait; early ones are refused untried; success resets", async () => {
    const store = openProfileStore(join(tempDir(), "p"));
    const created = await createProfile({
      store,
      serverUrl: server.url,
      handle: "pinny",
      pin: "123456",
      kdf: TEST_KDF,
      displayName: "Pin Tester",
    });
    expect(created.profile.displayName).toBe("Pin Tester");
    let now = 1_000_000;
    const clock = { now: () => now };
    for (let i = 1; i <= 2; i++) {
      expect(await codeAndDetails(unlockProfile(store, "000000", clock))).toEqual({
        code: "VOLLY_E_WRONG_PIN",
      });
    }
    expect(await codeAndDetails(unlockProfile(store, "000000", clock))).toEqual({
      code: "VOLLY_E_WRONG_PIN",
      details: { retryAfterMs: 1_000, failures: 3 },
    });
    // Too early: refused without trying, even with the right PIN.
    now += 400;
    expect(await codeAndDetails(unlockProfile(store, "123456", clock))).toEqual({
      code: "VOLLY_E_WRONG_PIN",
      details: { retryAfterMs: 600, failures: 3 },
    });
    now += 600;
    expect((await codeAndDetails(unlockProfile(store, "111111", clock))).details).toEqual({
      retryAfterMs: 2_000,
      failures: 4,
    });
    now += 1_999;
    expect((await codeAndDetails(unlockProfile(store, "123456", clock))).details?.retryAfterMs).toBe(1);
    now += 1;
    const unlocked = await unlockProfile(store, "123456", clock);
    expect(unlocked.profile).toMatchObject({ handle: "pinny", displayName: "Pin Tester" });
    // Reset: two more wrong PINs are not slowed down.
    expect(await codeAndDetails(unlockProfile(store, "000000", clock))).toEqual({
      code: "VOLLY_E_WRONG_PIN",
    });
    expect(await codeAndDetails(unlockProfile(store, "000000", clock))).toEqual({
      code: "VOLLY_E_WRONG_PIN",
    });
    expect(await codeAndDetails(unlockProfile(store, "12345", clock))).toEqual({
      code: "VOLLY_E_PIN_INVALID",
    });
    await store.close();
  });
});

import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { removableTempDir } from "../../../../test/helpers/temp-dir.js";
import { DEFAULT_RETRY, parseRetryAfter, retryDelayMs } from "../../src/daemon/webhooks/backoff.js";
import { classifyResponse } from "../../src/daemon/webhooks/outcome.js";
import { QueueStore } from "../../src/daemon/webhooks/queue-store.js";
import { checkSecret } from "../../src/daemon/webhooks/secrets.js";
import { signDelivery } from "../../src/daemon/webhooks/signing.js";

const removes: Array<() => void> = [];
afterEach(() => {
  for (const remove of removes.splice(0)) remove();
});

describe("webhooks: signing, secrets, back-off, outcomes, queue", () => {
  it("signs as Standard Webhooks: the library's published vector, and one signature per secret", () => {
    // The test vector of the standardwebhooks libraries (secret, id, timestamp, payload → signature).
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const headers = signDelivery("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}', [
      secret,
    ]);
    expect(headers).toEqual({
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    });
    // Rotation: the same content signed under each secret, space-separated, checked with node:crypto.
    const other = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    const both = signDelivery("abc", 1700000000, "{}", [secret, other]);
    const hmac = (s: string) =>
      `v1,${createHmac("sha256", Buffer.from(s.slice(6), "base64"))
        .update("abc.1700000000.{}")
        .digest("base64")}`;
    expect(both["webhook-signature"]).toBe(`${hmac(secret)} ${hmac(other)}`);
  });

  it("accepts whsec_ secrets of 24–64 bytes of standard base64 and nothing else", () => {
    const of = (n: number) => `whsec_${Buffer.alloc(n, 1).toString("base64")}`;
    for (const ok of [of(24), of(32), of(64)]) expect(checkSecret(ok, "x")).toBe(ok);
    for (const bad of [
      of(23),
      of(65),
      "whsec_",
      "sk_abc",
      `${of(24)}!`,
      of(24).replace("whsec_", "WHSEC_"),
    ]) {
      expect(() => checkSecret(bad, "x")).toThrow(expect.objectContaining({ code: "VOLLY_E_USAGE" }));
    }
  });

  it("backs off exponentially with equal jitter, capped", () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 5_000, maxAttempts: 10 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, policy, 0))).toEqual([50, 200, 800, 2_500]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, policy, 0.999_999))).toEqual([100, 400, 1_600, 5_000]);
    expect(retryDelayMs(30, policy, 0.5)).toBe(3_750);
    // The default schedule spans days, like the spec's example schedule.
    let total = 0;
    for (let n = 1; n < DEFAULT_RETRY.maxAttempts; n++) total += retryDelayMs(n, DEFAULT_RETRY, 0.999_999);
    expect(total).toBeGreaterThan(2 * 24 * 3600_000);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("classifies responses as the spec suggests: 2xx delivered, 410 gone, the rest failed", () => {
    expect(classifyResponse(200, undefined).kind).toBe("delivered");
    expect(classifyResponse(204, undefined).kind).toBe("delivered");
    expect(classifyResponse(410, undefined).kind).toBe("gone");
    expect(classifyResponse(301, undefined)).toMatchObject({ kind: "failed", throttle: false });
    expect(classifyResponse(404, undefined)).toMatchObject({
      kind: "failed",
      reason: "HTTP 404",
      throttle: false,
    });
    expect(classifyResponse(500, undefined)).toMatchObject({ kind: "failed", throttle: false });
    for (const status of [429, 502, 503, 504])
      expect(classifyResponse(status, undefined)).toMatchObject({ throttle: true });
    expect(classifyResponse(503, 2_000)).toEqual({
      kind: "failed",
      reason: "HTTP 503",
      retryAfterMs: 2_000,
      throttle: true,
    });
  });

  it("keeps the queue bounded (oldest pending dropped) and remembers finished ids", () => {
    const { dir, remove } = removableTempDir("volly-webhooks-store-");
    removes.push(remove);
    const store = new QueueStore(dir, 2, 3);
    try {
      const url = "http://127.0.0.1:1/h";
      expect(store.enqueue([url], "e1", "{1}", 0)).toEqual([{ url, queued: true, dropped: [] }]);
      store.enqueue([url], "e2", "{2}", 0);
      const [third] = store.enqueue([url], "e3", "{3}", 0);
      expect(third?.dropped.map((d) => d.eventId)).toEqual(["e1"]);
      expect(store.due(url, 0, [], 10).map((d) => d.eventId)).toEqual(["e2", "e3"]);
      // A duplicate id (pending, or finished: here e1, dropped) is not queued again.
      expect(store.enqueue([url], "e2", "{2}", 0)[0]?.queued).toBe(false);
      expect(store.enqueue([url], "e1", "{1}", 0)[0]?.queued).toBe(false);

      const e2 = store.due(url, 0, [], 1)[0];
      store.retryLater(e2?.seq ?? -1, 1_000, "HTTP 500");
      expect(store.due(url, 999, [], 10).map((d) => d.eventId)).toEqual(["e3"]);
      expect(store.nextDueAt(url, [store.due(url, 0, [], 1)[0]?.seq ?? -1])).toBe(1_000);
      expect(store.due(url, 1_000, [], 10).map((d) => [d.eventId, d.attempts])).toEqual([
        ["e3", 0],
        ["e2", 1],
      ]);
      // Finished ids are kept up to keepFinished (3), the oldest pruned.
      for (const d of store.due(url, 1_000, [], 10)) store.finish(d.seq, "delivered", 2_000);
      for (const id of ["e4", "e5"]) {
        store.enqueue([url], id, "{}", 0);
        store.finish(store.due(url, 0, [], 1)[0]?.seq ?? -1, "delivered", 2_000);
      }
      expect(store.enqueue([url], "e1", "{1}", 0)[0]?.queued).toBe(true); // e1's record was pruned
      expect(store.enqueue([url], "e5", "{5}", 0)[0]?.queued).toBe(false);
      expect(store.pendingCount(url)).toBe(1);
    } finally {
      store.close();
    }
  });
});

import { matches, ROUTES } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppFixture, appFixture } from "./helpers/app.js";
import { snapshotDatabase } from "./helpers/db-snapshot.js";
import { newKeys, registrationBody } from "./helpers/identity.js";

describe("GET /v1/handles/:handle/availability", () => {
  const limits = { windowMs: 60_000, accountMax: 50, ipMax: 4 };
  let f: AppFixture;

  beforeAll(async () => {
    f = await appFixture({ rateLimit: limits });
    const registered = await f.app.inject({
      method: "POST",
      url: "/v1/accounts",
      payload: registrationBody("bob.stone", newKeys()),
      remoteAddress: "10.9.0.1",
    });
    expect(registered.statusCode, registered.body).toBe(200);
  });
  afterAll(() => f.close());

  const availability = (handle: string, ip = "10.9.0.2") =>
    f.app.inject({ method: "GET", url: `/v1/handles/${handle}/availability`, remoteAddress: ip });

  it("answers 200 for a free and for a taken handle (a free handle is not a 404), changing nothing", async () => {
    const before = snapshotDatabase(f.file);
    const free = await availability("alice.liddell");
    expect(free.statusCode).toBe(200);
    expect(free.json()).toEqual({ handle: "alice.liddell", available: true });
    expect(matches(ROUTES.handleAvailability.response, free.json())).toBe(true);
    const taken = await availability("bob.stone");
    expect(taken.statusCode).toBe(200);
    expect(taken.json()).toEqual({ handle: "bob.stone", available: false });
    expect(snapshotDatabase(f.file)).toEqual(before);
  });

  it("refuses a handle that breaks the handle rules with a typed 400", async () => {
    const bad = ["Bob", "ab", "-bob", "bob%20stone", "x".repeat(33)];
    for (const [i, handle] of bad.entries()) {
      const res = await availability(handle, `10.9.1.${i}`);
      expect(res.statusCode, handle).toBe(400);
      expect((res.json() as { code: string }).code, handle).toBe("VOLLY_E_BAD_REQUEST");
    }
  });

  it("is rate-limited per address like the other unauthenticated lookups", async () => {
    const ip = "10.9.0.4";
    for (let i = 0; i < limits.ipMax; i++) {
      const res = await availability(`free${i}`, ip);
      expect(res.statusCode).toBe(200);
      expect(res.headers["x-ratelimit-limit"]).toBe(String(limits.ipMax));
    }
    const limited = await availability("free9", ip);
    expect(limited.statusCode).toBe(429);
    expect((limited.json() as { code: string }).code).toBe("VOLLY_E_RATE_LIMITED");
    // another address is unaffected
    expect((await availability("free9", "10.9.0.5")).statusCode).toBe(200);
  });
});

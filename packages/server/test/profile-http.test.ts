import { matches, ROUTES } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp } from "./helpers/app.js";

describe("PUT /v1/accounts/me/profile", () => {
  let f: AppFixture;
  let alice: HttpDevice;

  beforeAll(async () => {
    f = await appFixture();
    alice = await registerOverHttp(f.app, "alice.profile");
  });
  afterAll(() => f.close());

  const put = (payload: unknown, headers: Record<string, string> = alice.auth) =>
    f.app.inject({ method: "PUT", url: "/v1/accounts/me/profile", payload: payload as object, headers });

  it("sets the caller's display name (trimmed); the directory shows it for the account and its devices", async () => {
    const res = await put({ displayName: "  Alice Liddell " });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      accountId: alice.accountId,
      handle: "alice.profile",
      displayName: "Alice Liddell",
    });
    expect(matches(ROUTES.updateProfile.response, res.json())).toBe(true);
    const account = await f.app.inject({ method: "GET", url: "/v1/accounts/alice.profile" });
    expect((account.json() as { displayName?: string }).displayName).toBe("Alice Liddell");
    const device = await f.app.inject({ method: "GET", url: `/v1/devices/${alice.deviceId}` });
    expect((device.json() as { displayName?: string }).displayName).toBe("Alice Liddell");
  });

  it("refuses a blank, too long or extra-field body (400) and an anonymous caller (401), changing nothing", async () => {
    for (const body of [
      { displayName: "   " },
      { displayName: "" },
      { displayName: "x".repeat(65) },
      {},
      { displayName: "A", handle: "x" },
    ]) {
      const res = await put(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect((res.json() as { code: string }).code).toBe("VOLLY_E_BAD_REQUEST");
    }
    const anonymous = await put({ displayName: "Mallory" }, {});
    expect(anonymous.statusCode).toBe(401);
    const account = await f.app.inject({ method: "GET", url: "/v1/accounts/alice.profile" });
    expect((account.json() as { displayName?: string }).displayName).toBe("Alice Liddell");
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp } from "./helpers/app.js";

describe("GET /v1/accounts/:handle shows device names and times to the account itself only", () => {
  let f: AppFixture;
  let alice: HttpDevice;
  let bob: HttpDevice;
  beforeAll(async () => {
    f = await appFixture();
    alice = await registerOverHttp(f.app); // her device is named "test device"
    bob = await registerOverHttp(f.app);
  });
  afterAll(() => f.close());

  const lookUp = (handle: string, headers: Record<string, string> = {}) =>
    f.app.inject({ method: "GET", url: `/v1/accounts/${handle}`, headers });

  it("gives anyone else device ids and signature keys only", async () => {
    for (const headers of [{}, bob.auth]) {
      const res = await lookUp(alice.handle, headers);
      expect(res.statusCode).toBe(200);
      const account = res.json() as { accountId: string; devices: Record<string, unknown>[] };
      expect(account.accountId).toBe(alice.accountId);
      expect(account.devices).toEqual([
        { deviceId: alice.deviceId, signaturePublicKey: alice.keys.publicKeyB64 },
      ]);
      expect(res.body).not.toContain("test device");
    }
  });

  it("gives the account itself (its bearer token) its devices' names and creation times", async () => {
    const res = await lookUp(alice.handle, alice.auth);
    expect(res.statusCode).toBe(200);
    expect((res.json() as { devices: unknown[] }).devices).toEqual([
      {
        deviceId: alice.deviceId,
        signaturePublicKey: alice.keys.publicKeyB64,
        name: "test device",
        createdAt: expect.any(Number),
      },
    ]);
  });

  it("refuses a bearer token that does not authenticate with 401 instead of answering as anonymous", async () => {
    const res = await lookUp(alice.handle, { authorization: `Bearer ${"A".repeat(43)}` });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: "VOLLY_E_NOT_AUTHENTICATED" });
  });
});

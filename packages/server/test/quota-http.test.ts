import { newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv } from "../src/config.js";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp } from "./helpers/app.js";
import { commitBody } from "./helpers/services.js";

describe("quotas over REST: statuses and bodies from the error registry", () => {
  let f: AppFixture;
  let alice: HttpDevice;
  let bob: HttpDevice;
  let groupId: string;

  beforeAll(async () => {
    // configured as an operator would, through the environment
    const { quotas } = configFromEnv({
      VOLLY_QUOTA_ACCOUNT_BYTES: "5000",
    });
    f = await appFixture({ quotas });
    alice = await registerOverHttp(f.app, "alice");
    bob = await registerOverHttp(f.app, "bob");
    groupId = newId();
    await post("/v1/groups", { groupId }, alice);
  });
  afterAll(() => f.close());

  const post = (url: string, payload: object, device: HttpDevice) =>
    f.app.inject({ method: "POST", url, headers: device.auth, payload });

  it("507 VOLLY_E_QUOTA_EXCEEDED once the account's quota is used up", async () => {
    const send = () =>
      post(
        `/v1/groups/${groupId}/messages`,
        { messageId: newId(), epoch: 0, ciphertext: "A".repeat(2_000) },
        alice,
      );
    expect((await send()).statusCode).toBe(200);
    expect((await send()).statusCode).toBe(200);
    const refused = await send();
    expect(refused.statusCode).toBe(507);
    expect(refused.json()).toEqual({
      code: "VOLLY_E_QUOTA_EXCEEDED",
      message: expect.any(String),
      details: { scope: "account", limit: 5_000, used: 4_000, size: 2_000 },
    });
  });

  it("413 VOLLY_E_COMMIT_TOO_LARGE for a commit far larger than its group needs", async () => {
    const other = newId();
    await post("/v1/groups", { groupId: other }, bob);
    const res = await post(
      `/v1/groups/${other}/commits`,
      { ...commitBody(0), ratchetTree: "T".repeat(1_000_000) },
      bob,
    );
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: "VOLLY_E_COMMIT_TOO_LARGE", details: { field: "ratchetTree" } });
  });
});

import { newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv } from "../src/config.js";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp } from "./helpers/app.js";
import { keyPackageFor } from "./helpers/keys-crypto.js";
import { createGroupBody, newGroupBodies } from "./helpers/mls-groups.js";

/** The account quota configured below (bytes). */
const QUOTA = 20_000;

describe("quotas and claim rules over REST: statuses and bodies from the error registry", () => {
  let f: AppFixture;
  let alice: HttpDevice;
  let bob: HttpDevice;
  let groupId: string;

  beforeAll(async () => {
    // configured as an operator would, through the environment
    const { quotas } = configFromEnv({
      VOLLY_QUOTA_ACCOUNT_BYTES: String(QUOTA),
      VOLLY_QUOTA_KEY_PACKAGES: "2",
    });
    f = await appFixture({ quotas });
    alice = await registerOverHttp(f.app, "alice");
    bob = await registerOverHttp(f.app, "bob");
    groupId = newId();
    expect((await post("/v1/groups", await createGroupBody(groupId, alice), alice)).statusCode).toBe(200);
  });
  afterAll(() => f.close());

  const post = (url: string, payload: object, device: HttpDevice) =>
    f.app.inject({ method: "POST", url, headers: device.auth, payload });

  it("507 VOLLY_E_QUOTA_EXCEEDED once the account's quota is used up", async () => {
    const send = (chars = 2_000) =>
      post(
        `/v1/groups/${groupId}/messages`,
        { messageId: newId(), epoch: 0, ciphertext: "A".repeat(chars) },
        alice,
      );
    // what alice stored so far (the group's epoch-0 tree and GroupInfo), then up to 5,000 below the quota
    expect(
      (await send(QUOTA - 5_000 - (await f.store.storage.accountBytes(alice.accountId)))).statusCode,
    ).toBe(200);
    expect((await send()).statusCode).toBe(200);
    expect((await send()).statusCode).toBe(200);
    const refused = await send();
    expect(refused.statusCode).toBe(507);
    expect(refused.json()).toEqual({
      code: "VOLLY_E_QUOTA_EXCEEDED",
      message: expect.any(String),
      details: { scope: "account", limit: QUOTA, used: QUOTA - 1_000, size: 2_000 },
    });
  });

  it("413 VOLLY_E_COMMIT_TOO_LARGE for a commit far larger than its group needs", async () => {
    const other = newId();
    const bodies = await newGroupBodies(other, bob, [alice]);
    expect((await post("/v1/groups", bodies.create, bob)).statusCode).toBe(200);
    const res = await post(
      `/v1/groups/${other}/commits`,
      { ...bodies.commit, ratchetTree: "T".repeat(1_000_000) },
      bob,
    );
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: "VOLLY_E_COMMIT_TOO_LARGE", details: { field: "ratchetTree" } });
  });

  it("a claim without a reason is malformed (400); one whose reason does not hold is refused (403)", async () => {
    const noReason = await post("/v1/key-packages/claim", { deviceIds: [bob.deviceId] }, alice);
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ code: "VOLLY_E_BAD_REQUEST" });
    const wrong = await post(
      "/v1/key-packages/claim",
      { deviceIds: [bob.deviceId], reason: { type: "conversation", groupId } },
      alice,
    );
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({
      code: "VOLLY_E_CLAIM_REASON_INVALID",
      details: { reason: "conversation", deviceId: bob.deviceId },
    });
  });

  it("409 VOLLY_E_KEY_PACKAGE_LIMIT past the configured cap", async () => {
    const packages = await Promise.all(
      [1, 2, 3].map(() => keyPackageFor(bob.keys, bob.accountId, bob.deviceId)),
    );
    const res = await post("/v1/key-packages", { keyPackages: packages }, bob);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "VOLLY_E_KEY_PACKAGE_LIMIT", details: { limit: 2, stored: 3 } });
  });
});

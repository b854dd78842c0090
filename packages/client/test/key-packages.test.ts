import { KEY_PACKAGE_POOL, messageText, type VollyClient } from "@volly/client";
import { restApi } from "@volly/client/testing";
import { newId } from "@volly/protocol";
import { DEFAULT_QUOTAS } from "@volly/server";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, useTestServer } from "./helpers.js";

/** What the key package directory reports for `device`'s pool (GET /v1/key-packages/count). */
async function poolOf(device: VollyClient): Promise<{ available: number; hasLastResort: boolean }> {
  return restApi(device).call("countKeyPackages");
}

/** `claimer` claims one of `target`'s key packages (POST /v1/key-packages/claim), as an add would. */
async function claimOne(claimer: VollyClient, target: VollyClient): Promise<{ lastResort: boolean }> {
  const { keyPackages } = await restApi(claimer).call("claimKeyPackages", {
    body: { deviceIds: [target.profile.deviceId], reason: { type: "group-add", groupId: newId() } },
  });
  expect(keyPackages).toHaveLength(1);
  return { lastResort: keyPackages[0]!.lastResort };
}

/** Server limits that let one claimer take every one-time package at once (the pool's behaviour under test). */
const DRAINABLE = {
  quotas: { ...DEFAULT_QUOTAS, claims: { ...DEFAULT_QUOTAS.claims, oneTimePerTarget: 1_000 } },
};

describe("key package pool (RFC 9420 §10): a device tops its pool up when it runs low; an exhausted pool falls back to the last-resort package", () => {
  const bed = useTestServer(DRAINABLE);

  it("after others claim it below the threshold, the device refills its pool: at the next Welcome, and on reconnect", async () => {
    const [alice, bob] = (await bed.clients("alice", "bob")) as [VollyClient, VollyClient];
    expect(await poolOf(bob)).toEqual({ available: KEY_PACKAGE_POOL.target, hasLastResort: true });

    // claimed down to one below the threshold; the add claims one more and sends bob a Welcome
    for (let i = KEY_PACKAGE_POOL.target; i >= KEY_PACKAGE_POOL.low; i--) await claimOne(alice, bob);
    expect((await poolOf(bob)).available).toBe(KEY_PACKAGE_POOL.low - 1);
    const group = await alice.conversations.createGroup("Pool", ["bob"]);
    await waitFor(async () => (await bob.conversations.list()).length === 1, { message: "bob joined" });
    await waitFor(async () => (await poolOf(bob)).available === KEY_PACKAGE_POOL.target, {
      message: "bob to top his pool up after the Welcome",
    });

    // claims alone do not reach bob; his next connection (SYNCED) refills the pool
    for (let i = KEY_PACKAGE_POOL.target; i >= KEY_PACKAGE_POOL.low; i--) await claimOne(alice, bob);
    expect((await poolOf(bob)).available).toBe(KEY_PACKAGE_POOL.low - 1);
    await bob.connection.stop();
    await bob.connect();
    await waitFor(async () => (await poolOf(bob)).available === KEY_PACKAGE_POOL.target, {
      message: "bob to top his pool up on reconnect",
    });
    expect(await poolOf(bob)).toEqual({ available: KEY_PACKAGE_POOL.target, hasLastResort: true });

    // the packages he uploaded are usable: the group still works both ways
    const bobInbox = inbox(bob);
    await alice.messaging.send(group.id, "still here?");
    await waitFor(() => bobInbox.some((m) => messageText(m) === "still here?"), { message: "bob decrypts" });
  });

  it("with every one-time package claimed, another user adds the device with its last-resort package; it joins, decrypts, and refills", async () => {
    const [alice, bob, carol] = (await bed.clients("alice", "bob", "carol")) as [
      VollyClient,
      VollyClient,
      VollyClient,
    ];
    for (let i = 0; i < KEY_PACKAGE_POOL.target; i++) {
      expect(await claimOne(carol, bob)).toEqual({ lastResort: false });
    }
    expect(await poolOf(bob)).toEqual({ available: 0, hasLastResort: true });
    // the last-resort package is handed out but stays in the directory
    expect(await claimOne(carol, bob)).toEqual({ lastResort: true });
    expect(await poolOf(bob)).toEqual({ available: 0, hasLastResort: true });

    const bobInbox = inbox(bob);
    const group = await alice.conversations.createGroup("Last resort", ["bob"]);
    await waitFor(async () => (await bob.conversations.list()).length === 1, {
      message: "bob joined with the last resort",
    });
    await alice.messaging.send(group.id, "welcome, bob");
    await waitFor(() => bobInbox.some((m) => messageText(m) === "welcome, bob"), { message: "bob decrypts" });
    expect(await bob.messaging.undecryptable()).toEqual({});
    const aliceInbox = inbox(alice);
    await bob.messaging.send(group.id, "thanks");
    await waitFor(() => aliceInbox.some((m) => messageText(m) === "thanks"), {
      message: "alice decrypts bob",
    });

    await waitFor(async () => (await poolOf(bob)).available === KEY_PACKAGE_POOL.target, {
      message: "bob to refill his exhausted pool",
    });
    // bob kept the last-resort package's private half: a second group can use it too
    for (let i = 0; i < KEY_PACKAGE_POOL.target; i++) await claimOne(carol, bob);
    const second = await carol.conversations.createGroup("Again", ["bob"]);
    await waitFor(async () => (await bob.conversations.list()).length === 2, {
      message: "bob joined a second time",
    });
    await carol.messaging.send(second.id, "hi again");
    await waitFor(() => bobInbox.some((m) => messageText(m) === "hi again"), {
      message: "bob decrypts the second group",
    });
  });
});

describe("key package pool against the server's limits", () => {
  describe("with the default limits", () => {
    const bed = useTestServer();

    it("others' claims take at most 10 one-time packages an hour; the rest get the last-resort one, and the device still joins", async () => {
      const [alice, bob] = (await bed.clients("alice", "bob")) as [VollyClient, VollyClient];
      const handedOut: boolean[] = [];
      for (let i = 0; i < 15; i++) handedOut.push((await claimOne(alice, bob)).lastResort);
      expect(handedOut.filter((lastResort) => !lastResort)).toHaveLength(
        DEFAULT_QUOTAS.claims.oneTimePerTarget,
      );
      expect((await poolOf(bob)).available).toBe(KEY_PACKAGE_POOL.target - 10);
      const bobInbox = inbox(bob);
      const group = await alice.conversations.createGroup("Limited", ["bob"]);
      await waitFor(async () => (await bob.conversations.list()).length === 1, { message: "bob joined" });
      await alice.messaging.send(group.id, "hi");
      await waitFor(() => bobInbox.some((m) => messageText(m) === "hi"), { message: "bob decrypts" });
    });
  });

  describe("with every one-time package claimable", () => {
    const bed = useTestServer(DRAINABLE);

    it("after many Welcomes the pool's top-ups never exceed the target, far under the server's cap", async () => {
      const [carol, bob] = (await bed.clients("carol", "bob")) as [VollyClient, VollyClient];
      const uploads: { ok: boolean; available?: number }[] = [];
      const api = restApi(bob);
      const call = api.call.bind(api);
      api.call = (async (route: string, options: unknown) => {
        const result = call(route as "uploadKeyPackages", options as never);
        if (route === "uploadKeyPackages") {
          await result.then(
            (r) => uploads.push({ ok: true, available: (r as { available: number }).available }),
            () => uploads.push({ ok: false }),
          );
        }
        return result;
      }) as typeof api.call;
      for (let i = 0; i < 24; i++) await carol.conversations.createGroup(`Group ${i}`, ["bob"]);
      await waitFor(async () => (await bob.conversations.list()).length === 24, {
        message: "bob joined all 24",
      });
      await waitFor(async () => (await poolOf(bob)).available >= KEY_PACKAGE_POOL.low, {
        message: "bob to top his pool up",
      });
      expect(uploads.length).toBeGreaterThan(0);
      expect(uploads.every((u) => u.ok)).toBe(true);
      const most = Math.max(...uploads.map((u) => u.available ?? 0));
      expect(most).toBeLessThanOrEqual(KEY_PACKAGE_POOL.target);
      expect(most).toBeLessThan(DEFAULT_QUOTAS.keyPackagesPerDevice);
    });
  });
});

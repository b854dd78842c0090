import { KEY_PACKAGE_POOL, messageText, type VollyClient } from "@volly/client";
import { restApi } from "@volly/client/testing";
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
    body: { deviceIds: [target.profile.deviceId] },
  });
  expect(keyPackages).toHaveLength(1);
  return { lastResort: keyPackages[0]!.lastResort };
}

describe("key package pool (RFC 9420 §10): a device tops its pool up when it runs low; an exhausted pool falls back to the last-resort package", () => {
  const bed = useTestServer();

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

import { messageText, RECOVERY_NOTICE, type VollyClient } from "@volly/client";
import { damageGroupState, groupState } from "@volly/client/testing";
import { groupEpoch } from "@volly/crypto";
import { VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, newClient, reopenClient, texts, useTestServer } from "./helpers.js";

const epochOf = async (client: VollyClient, id: string) => groupEpoch(await groupState(client, id));

describe("delivery guarantees: resync by external commit (RFC 9420 §12.4.3.2), admins, offline catch-up", () => {
  const bed = useTestServer();

  it.each([
    ["deleted", "delete"],
    ["corrupted", "corrupt"],
  ])(
    "a device whose group state was %s rejoins by itself, counts the loss and shows a notice; the others keep decrypting",
    async (_label, damage) => {
      const [alice, bob, carol] = (await bed.clients("alice", "bob", "carol")) as [
        VollyClient,
        VollyClient,
        VollyClient,
      ];
      const group = await alice.conversations.createGroup("Ops", ["bob", "carol"]);
      const bobInbox = inbox(bob);
      const aliceInbox = inbox(alice);
      const carolInbox = inbox(carol);
      await waitFor(async () => (await bob.conversations.list()).length === 1, { message: "bob joined" });
      await waitFor(async () => (await carol.conversations.list()).length === 1, { message: "carol joined" });
      await alice.messaging.send(group.id, "before");
      await waitFor(() => bobInbox.length === 1 && carolInbox.length === 1, { message: "first message" });
      const epochBefore = await epochOf(alice, group.id);
      const beforeLoss = Date.now();

      await damageGroupState(bob, group.id, damage === "delete" ? "delete" : "garble");
      const diagnostics: string[] = [];
      bob.messaging.diagnostics.add((d) => diagnostics.push(`${d.kind}:${d.cause}`));

      await alice.messaging.send(group.id, "lost on bob");
      await waitFor(async () => (await bob.messaging.recoveries()) === 1, { message: "bob resynced" });
      // the entry that revealed the loss; entries of the old epoch still in flight before bob's external
      // commit (e.g. receipts) may follow as "wrong-epoch" (a past epoch: counted, no second resync)
      const utd = await bob.messaging.undecryptable();
      expect(utd["missing-state"]).toBe(1);
      expect(
        Object.keys(utd).filter((cause) => cause !== "missing-state" && cause !== "wrong-epoch"),
      ).toEqual([]);
      expect(diagnostics.slice(0, 2)).toEqual(["undecryptable:missing-state", "resynced:missing-state"]);
      const bobConv = await bob.conversations.get(group.id);
      expect(bobConv).toMatchObject({ notice: RECOVERY_NOTICE, recoveries: 1 });
      expect(bobConv.noticeAt).toBeGreaterThan(beforeLoss);
      // alice and carol process bob's external commit: a new epoch with the same members
      await waitFor(async () => (await epochOf(alice, group.id)) === epochBefore + 1, {
        message: "alice saw the resync",
      });
      await waitFor(async () => (await epochOf(carol, group.id)) === epochBefore + 1, {
        message: "carol saw the resync",
      });
      expect((await alice.conversations.get(group.id)).members?.map((m) => m.handle).sort()).toEqual([
        "bob",
        "carol",
      ]);

      await alice.messaging.send(group.id, "after resync");
      await bob.messaging.send(group.id, "bob is back");
      await waitFor(() => bobInbox.some((m) => messageText(m) === "after resync"), {
        message: "bob decrypts again",
      });
      await waitFor(() => aliceInbox.some((m) => messageText(m) === "bob is back"), {
        message: "alice decrypts bob",
      });
      await waitFor(() => carolInbox.length === 4, { message: "carol got everything" });
      expect(carolInbox.map((m) => messageText(m))).toEqual([
        "before",
        "lost on bob",
        "after resync",
        "bob is back",
      ]);
      expect(bobInbox.map((m) => messageText(m))).toEqual(["before", "after resync"]);
      expect(await alice.messaging.undecryptable()).toEqual({});
      expect(await carol.messaging.undecryptable()).toEqual({});
      expect(await bob.messaging.recoveries()).toBe(1);

      await bob.conversations.clearNotice(group.id);
      expect((await bob.conversations.get(group.id)).notice).toBeUndefined();
      expect((await bob.conversations.get(group.id)).noticeAt).toBeUndefined();
    },
  );

  it("the creator is admin; others cannot add accounts until granted admin", async () => {
    const [alice, bob] = (await bed.clients("alice", "bob")) as [VollyClient, VollyClient];
    bed.track(await newClient(bed.home, bed.server.url, "dave"));
    const group = await alice.conversations.createGroup("Team", ["bob"]);
    expect(await alice.conversations.admins(group.id)).toEqual([alice.profile.accountId]);
    await waitFor(async () => (await bob.conversations.list())[0]?.title === "Team", {
      message: "bob joined",
    });
    const refused = await bob.conversations.addMembers(group.id, ["dave"]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(VollyError);
    expect((refused as VollyError).code).toBe("VOLLY_E_NOT_GROUP_ADMIN");
    const notAdmin = await bob.conversations.grantAdmin(group.id, "bob").catch((e: unknown) => e);
    expect((notAdmin as VollyError).code).toBe("VOLLY_E_NOT_GROUP_ADMIN");
    expect((await alice.conversations.grantAdmin(group.id, "@bob")).sort()).toEqual(
      [alice.profile.accountId, bob.profile.accountId].sort(),
    );
    const added = await bob.conversations.addMembers(group.id, ["dave"]);
    expect(added.members?.map((m) => m.handle).sort()).toEqual(["alice", "dave"]);
  });

  it("a device offline for 20 epochs of membership changes catches up in order and decrypts everything", async () => {
    const [alice, bob, carol] = (await bed.clients("alice", "bob", "carol")) as [
      VollyClient,
      VollyClient,
      VollyClient,
    ];
    const extras: string[] = [];
    for (let i = 0; i < 10; i++) {
      const handle = `extra${i}`;
      bed.track(await newClient(bed.home, bed.server.url, handle)); // registered with key packages, never connected
      extras.push(handle);
    }
    const group = await alice.conversations.createGroup("Catch-up", ["bob", "carol"]);
    await waitFor(async () => (await carol.conversations.list()).length === 1, { message: "carol joined" });
    await waitFor(async () => (await bob.conversations.list()).length === 1, { message: "bob joined" });
    const startEpoch = await epochOf(alice, group.id);
    await carol.close();
    bed.untrack(carol);

    const sent: string[] = [];
    for (const [i, handle] of extras.entries()) {
      await alice.conversations.addMembers(group.id, [handle]);
      const a = `alice ${i} after adding ${handle}`;
      await alice.messaging.send(group.id, a);
      sent.push(a);
      if (i % 3 === 0) {
        await alice.conversations.rename(group.id, `Catch-up ${i}`);
      }
      await alice.conversations.removeMember(group.id, handle);
      // bob writes in the new epoch once he processed the commit
      const epoch = await epochOf(alice, group.id);
      await waitFor(async () => (await epochOf(bob, group.id)) === epoch, { message: "bob followed" });
      const b = `bob ${i} after removing ${handle}`;
      await bob.messaging.send(group.id, b);
      sent.push(b);
    }
    expect((await epochOf(alice, group.id)) - startEpoch).toBe(20);

    const back = bed.track(await reopenClient(bed.home, "carol"));
    await back.connect();
    await waitFor(async () => (await texts(back, group.id)).length === sent.length, {
      message: "carol caught up",
      timeoutMs: 60_000,
    });
    expect(await texts(back, group.id)).toEqual(sent);
    expect(await back.messaging.undecryptable()).toEqual({});
    expect(await back.messaging.recoveries()).toBe(0);
    expect(await epochOf(back, group.id)).toBe(startEpoch + 20);
    await waitFor(async () => (await back.conversations.get(group.id)).title === "Catch-up 9", {
      message: "last name",
    });
    expect((await back.conversations.get(group.id)).members?.map((m) => m.handle).sort()).toEqual([
      "alice",
      "bob",
    ]);
  });
});

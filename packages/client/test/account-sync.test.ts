import { join } from "node:path";
import { type ConversationRecord, messageText, type VollyClient } from "@volly/client";
import { linkNodeProfile } from "@volly/client/node";
import { sendRawContent } from "@volly/client/testing";
import { newId, toBase64Url } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, TEST_KDF, texts, useTestServer } from "./helpers.js";

describe("account sync between one account's devices (self conversation, Yjs)", () => {
  const bed = useTestServer();

  /** Links a laptop to `alice` (SDK on both sides); returns it connected, and the link's outcome. */
  async function linkLaptop(alice: VollyClient, history?: boolean) {
    const link = await alice.devices.startLink();
    const [laptop, linked] = await Promise.all([
      linkNodeProfile(
        join(bed.home, "alice-laptop"),
        { code: link.code, pin: "123456", deviceName: "laptop", kdf: TEST_KDF, pollIntervalMs: 50 },
        { initialBackoffMs: 50, maxBackoffMs: 300 },
      ),
      alice.devices.waitAndApprove(
        link.linkId,
        link.secret,
        10_000,
        history === undefined ? {} : { history },
      ),
    ]);
    bed.track(laptop);
    const joined: ConversationRecord[] = [];
    laptop.sync.joined.add((c) => joined.push(c));
    const changed: ConversationRecord[] = [];
    laptop.conversations.changes.add((c) => changed.push(c));
    await laptop.connect();
    return { laptop, linked, joined, changed };
  }

  /** alice and bob with a direct conversation and a group, bob's messages read by alice. */
  async function aliceWithHistory() {
    const [alice, bob] = await bed.clients("alice", "bob");
    const direct = await alice!.resolveConversation("@bob");
    const team = await alice!.conversations.createGroup("Team", ["bob"]);
    await waitFor(async () => (await bob!.conversations.list()).length === 2, { message: "bob joins both" });
    const aliceInbox = inbox(alice!);
    await bob!.messaging.send(direct.id, "one");
    await bob!.messaging.send(direct.id, "two");
    await alice!.messaging.send(direct.id, "three");
    await bob!.messaging.send(team.id, "team hello");
    await waitFor(() => aliceInbox.length === 3, { message: "bob's messages at alice" });
    await alice!.messaging.markRead(direct.id);
    await alice!.messaging.takeUnseen();
    await alice!.settings.update({ theme: "dark", fontScale: 1.2, linkPreviews: true });
    return { alice: alice!, bob: bob!, direct, team };
  }

  it("a linked device gets settings, conversation names, read state and the earlier messages as history", async () => {
    const { alice, direct, team } = await aliceWithHistory();
    await alice.notifications.mute({ conversationId: direct.id }, "forever");
    await alice.notifications.setLevel({ conversationId: team.id }, "mentions");
    await alice.settings.update({ notificationPreviews: true });
    const before = await alice.messaging.history(direct.id);
    const { laptop, linked, joined, changed } = await linkLaptop(alice);
    expect(linked.added.sort()).toEqual([direct.id, team.id].sort());
    expect(linked.failed).toEqual([]);
    expect(linked.handOver).toMatchObject({ stateSent: true, messages: 4, skipped: 0 });

    await waitFor(async () => (await laptop.settings.get()).theme === "dark", {
      message: "the synced theme",
    });
    // notification settings, levels and mutes too
    await waitFor(async () => (await laptop.settings.get()).notificationPreviews, {
      message: "the synced notification previews",
    });
    expect(await laptop.notifications.rule({ conversationId: direct.id })).toEqual({ mutedUntil: "forever" });
    expect(await laptop.notifications.rule({ conversationId: team.id })).toEqual({ level: "mentions" });
    expect(await laptop.settings.get()).toMatchObject({ theme: "dark", fontScale: 1.2, linkPreviews: true });
    await waitFor(async () => (await texts(laptop, direct.id)).length === 3, {
      message: "the handed-over history",
    });
    const after = await laptop.messaging.history(direct.id);
    const pick = (m: (typeof before)[number]) => [
      m.id,
      m.from,
      m.fromDeviceId,
      m.direction,
      messageText(m),
      m.sentAt,
    ];
    expect(after.map(pick)).toEqual(before.map(pick));
    expect(await texts(laptop, team.id)).toEqual(["team hello"]);
    expect((await laptop.conversations.get(team.id)).title).toBe("Team");

    // History is not new: nothing to print, and alice's read mark makes the direct one read.
    expect(await laptop.messaging.takeUnseen()).toEqual([]);
    await waitFor(
      async () => {
        const summaries = await laptop.conversations.summaries();
        return summaries.find((s) => s.conversation.id === direct.id)?.unread === 0;
      },
      { message: "the direct conversation read on the laptop" },
    );
    const teamSummary = (await laptop.conversations.summaries()).find((s) => s.conversation.id === team.id);
    expect(teamSummary?.unread).toBe(1);
    expect((await laptop.accountSync.contacts()).map((c) => c.handle)).toEqual(["bob"]);

    // The self conversation exists on both devices and is hidden everywhere.
    const selfId = alice.accountSync.selfId;
    expect(laptop.accountSync.selfId).toBe(selfId);
    expect(await laptop.accountSync.selfConversation()).toMatchObject({ id: selfId, self: true });
    for (const device of [alice, laptop]) {
      expect((await device.conversations.list()).map((c) => c.id)).not.toContain(selfId);
      expect((await device.conversations.summaries()).map((s) => s.conversation.id)).not.toContain(selfId);
    }
    expect(joined.map((c) => c.id)).not.toContain(selfId);
    expect(changed.map((c) => c.id)).not.toContain(selfId);
    expect(await laptop.accountSync.rejected()).toEqual({});

    // Messages after the link arrive through the groups as usual, once.
    const laptopInbox = inbox(laptop);
    await alice.messaging.send(team.id, "after the link");
    await waitFor(async () => (await texts(laptop, team.id)).includes("after the link"), {
      message: "alice's new message",
    });
    expect(laptopInbox).toEqual([]);
  });

  it("without hand-over the new device gets the state but no earlier messages", async () => {
    const { alice, direct, team } = await aliceWithHistory();
    const { laptop, linked } = await linkLaptop(alice, false);
    expect(linked.handOver).toMatchObject({ stateSent: true, messages: 0, chunks: 0 });
    await waitFor(async () => (await laptop.settings.get()).theme === "dark", {
      message: "the synced theme",
    });
    await waitFor(async () => (await laptop.conversations.get(team.id)).title === "Team", {
      message: "the group's name",
    });
    expect(await laptop.messaging.history(direct.id)).toEqual([]);
    expect(await laptop.messaging.history(team.id)).toEqual([]);
  });

  it("concurrent changes on two devices (settings, renames, reads) converge on both", async () => {
    const { alice, bob, direct, team } = await aliceWithHistory();
    const { laptop } = await linkLaptop(alice, false);
    await waitFor(async () => (await laptop.conversations.list()).length === 2, {
      message: "the laptop's conversations",
    });
    const laptopInbox = inbox(laptop);
    await bob.messaging.send(direct.id, "while both are online");
    await waitFor(() => laptopInbox.length === 1, { message: "bob's message on the laptop" });

    await Promise.all([
      alice.settings.update({ theme: "light" }),
      laptop.settings.update({ theme: "high-contrast", readReceipts: false }),
      alice.conversations.rename(team.id, "Alice's name"),
      laptop.conversations.rename(team.id, "Laptop's name"),
      laptop.messaging.markRead(direct.id),
    ]);

    const state = async (c: VollyClient) => ({
      settings: await c.settings.get(),
      title: (await c.conversations.get(team.id)).title,
      unread: (await c.conversations.summaries()).find((s) => s.conversation.id === direct.id)?.unread,
    });
    await waitFor(
      async () => {
        const [a, l] = [await state(alice), await state(laptop)];
        return JSON.stringify(a) === JSON.stringify(l) && a.unread === 0;
      },
      { message: "both devices to agree" },
    );
    const final = await state(alice);
    // Different keys merge; the same key ends with one winner on both devices.
    expect(final.settings).toMatchObject({ readReceipts: false, fontScale: 1.2 });
    expect(["light", "high-contrast"]).toContain(final.settings.theme);
    expect(["Alice's name", "Laptop's name"]).toContain(final.title);
    expect(await alice.accountSync.readSeq(direct.id)).toBeGreaterThan(0);
  });

  it("a malformed account-sync payload is counted and ignored, and changes nothing", async () => {
    const [alice] = await bed.clients("alice");
    await alice!.settings.update({ theme: "dark" });
    const { laptop } = await linkLaptop(alice!, false);
    await waitFor(async () => (await laptop.settings.get()).theme === "dark", {
      message: "the synced theme",
    });
    const settingsBefore = await laptop.settings.get();
    await alice!.accountSync.idle();

    // Raw contents in the self conversation, encrypted by alice's device like any message.
    const selfId = alice!.accountSync.selfId;
    const bad: unknown[] = [
      { v: 1, type: "account-sync", id: newId(), update: "not base64url!", sentAt: Date.now() },
      {
        v: 1,
        type: "account-sync",
        id: newId(),
        update: toBase64Url(new Uint8Array([0xff, 0xff, 0xff])),
        sentAt: Date.now(),
      },
      { v: 1, type: "text", id: newId(), text: "hi", sentAt: Date.now() },
      { v: 2, type: "account-sync", id: newId(), update: "", sentAt: Date.now() },
    ];
    for (const content of bad) await sendRawContent(alice!, selfId, content);
    // A well-formed hand-over chunk for another device is ignored without being counted.
    await sendRawContent(alice!, selfId, {
      v: 1,
      type: "history",
      id: newId(),
      to: newId(),
      transfer: newId(),
      index: 0,
      total: 1,
      messages: [],
      sentAt: Date.now(),
    });

    await waitFor(async () => (await laptop.accountSync.rejected()).malformed === 4, {
      message: "four rejections",
    });
    expect(await laptop.accountSync.rejected()).toEqual({ malformed: 4 });
    expect(await laptop.settings.get()).toEqual(settingsBefore);
    expect(await laptop.messaging.undecryptable()).toEqual({});

    // The self conversation still works afterwards.
    await alice!.settings.update({ theme: "light" });
    await waitFor(async () => (await laptop.settings.get()).theme === "light", {
      message: "a valid update after them",
    });
  });
});

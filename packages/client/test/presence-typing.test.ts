import { TYPING_THROTTLE_MS, TYPING_TTL_MS } from "@volly/client";
import { dropConnection } from "@volly/client/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { TypingService } from "../src/messaging/typing.js";
import { PresenceService } from "../src/presence/presence.js";
import { connectedClients, useTestServer } from "./helpers.js";

const GROUP = "g".repeat(22);
const typingEvent = (accountId: string, handle: string) => ({
  groupId: GROUP,
  accountId,
  handle,
  deviceId: "d".repeat(22),
  at: Date.now(),
});

describe("Typing (ephemeral indicators)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("throttles TYPING frames per conversation; stoppedTyping lets the next keystroke through", () => {
    let now = 1_000_000;
    const sent: string[] = [];
    const typing = new TypingService(
      (g) => sent.push(g),
      "me",
      () => now,
    );
    typing.notifyTyping("a");
    typing.notifyTyping("a");
    typing.notifyTyping("b");
    now += TYPING_THROTTLE_MS - 1;
    typing.notifyTyping("a");
    now += 1;
    typing.notifyTyping("a");
    typing.stoppedTyping("b");
    typing.notifyTyping("b");
    expect(sent).toEqual(["a", "b", "a", "b"]);
  });

  it("entries expire after TYPING_TTL_MS unless renewed; the own account is never shown; clear ends one", () => {
    vi.useFakeTimers();
    const typing = new TypingService(() => undefined, "acct-me");
    const changes: string[][] = [];
    typing.changes.add((c) => changes.push(c.handles));
    typing.handle(typingEvent("acct-me", "me"));
    typing.handle(typingEvent("acct-bob", "bob"));
    typing.handle(typingEvent("acct-carol", "carol"));
    expect(typing.typingIn(GROUP)).toEqual(["bob", "carol"]);
    vi.advanceTimersByTime(TYPING_TTL_MS - 1000);
    typing.handle(typingEvent("acct-bob", "bob")); // renewed: no change event
    vi.advanceTimersByTime(1000);
    expect(typing.typingIn(GROUP)).toEqual(["bob"]);
    typing.clear(GROUP, "acct-bob");
    expect(typing.typingIn(GROUP)).toEqual([]);
    expect(changes).toEqual([["bob"], ["bob", "carol"], ["bob"], []]);
    typing.dispose();
  });

  const unused = () => Promise.reject(new Error("not called"));

  it("Presence remembers this device's activity and re-sends only idle after a reconnect", () => {
    const sent: string[] = [];
    const presence = new PresenceService({
      accountId: "me",
      send: (s) => sent.push(s),
      getStatus: unused,
      putStatus: unused,
    });
    presence.connected();
    presence.setActivity("idle");
    presence.connected();
    presence.setActivity("online");
    presence.connected();
    expect(sent).toEqual(["idle", "idle", "online"]);
    expect(() => presence.setActivity("busy" as "idle")).toThrow(/activity/);
    expect(presence.statusOf("nobody")).toBe("offline");
  });

  it("Presence validates a status before sending it, and hides a custom text once it expires", async () => {
    let time = 1_000;
    const sent: unknown[] = [];
    const presence = new PresenceService({
      accountId: "me",
      send: () => {},
      getStatus: unused,
      putStatus: async (body) => {
        sent.push(body);
        return { ...body, setAt: time };
      },
      now: () => time,
    });
    for (const [status, options] of [
      ["busy", {}],
      ["online", { text: "x".repeat(129) }],
      ["online", { text: "two\nlines" }],
      ["online", { until: 5_000 }],
      ["online", { text: "late", until: 1_000 }],
      ["online", { text: "bad date", until: new Date("nope") }],
    ] as const) {
      await expect(presence.setStatus(status as "online", options)).rejects.toMatchObject({
        code: "VOLLY_E_USAGE",
      });
    }
    expect(sent).toEqual([]);
    const changes: unknown[] = [];
    presence.ownChanges.add((c) => changes.push(c));
    expect(await presence.setStatus("dnd", { text: "focus", until: new Date(2_000) })).toEqual({
      status: "dnd",
      text: "focus",
      until: 2_000,
    });
    expect(presence.doNotDisturb).toBe(true);
    time = 2_000;
    expect(presence.ownStatus).toEqual({ status: "dnd" });
    // A contact's text expires the same way; the own account's dispatch is its own status.
    presence.handle({ accountId: "bob-id", handle: "bob", status: "idle", text: "lunch", until: 3_000 });
    expect(presence.detailsOf("bob")).toEqual({ handle: "bob", status: "idle", text: "lunch", until: 3_000 });
    time = 3_000;
    expect(presence.detailsOf("bob")).toEqual({ handle: "bob", status: "idle" });
    presence.handle({ accountId: "me", handle: "me", status: "invisible" });
    expect(presence.ownStatus).toEqual({ status: "invisible" });
    expect(presence.statusOf("me")).toBe("offline");
    expect(changes).toEqual([{ status: "dnd", text: "focus", until: 2_000 }, { status: "invisible" }]);
  });
});

describe("presence and typing through a real gateway", () => {
  const bed = useTestServer();

  it("contacts see online, idle (also after a reconnect), offline; typing shows and ends with the message", async () => {
    const [alice, bob] = await connectedClients(bed.server, bed.home, ["alice", "bob"]);
    bed.track(bob!);
    const conv = await alice!.resolveConversation("@bob");
    await waitFor(async () => (await bob!.conversations.list()).length === 1, { message: "bob joins" });
    await waitFor(() => bob!.presence.statusOf("alice") === "online", { message: "alice online" });
    await waitFor(() => alice!.presence.statusOf("bob") === "online", { message: "bob online" });

    alice!.presence.setActivity("idle");
    await waitFor(() => bob!.presence.statusOf("alice") === "idle", { message: "alice idle" });
    dropConnection(alice!);
    await alice!.sync.nextSynced();
    await new Promise((r) => setTimeout(r, 1_500));
    await waitFor(() => bob!.presence.statusOf("alice") === "idle", {
      message: "still idle after the reconnect",
    });
    alice!.presence.setActivity("online");
    await waitFor(() => bob!.presence.statusOf("alice") === "online", { message: "alice back" });

    const seen: string[][] = [];
    bob!.typing.changes.add((c) => {
      if (c.conversationId === conv.id) seen.push(c.handles);
    });
    alice!.typing.notifyTyping(conv.id);
    await waitFor(() => bob!.typing.typingIn(conv.id).join() === "alice", {
      message: "bob sees alice typing",
    });
    expect(alice!.typing.typingIn(conv.id)).toEqual([]);
    await alice!.messaging.send(conv.id, "done typing");
    await waitFor(() => bob!.typing.typingIn(conv.id).length === 0, {
      message: "the message ends the indicator",
    });
    expect(seen).toEqual([["alice"], []]);

    await alice!.close();
    await waitFor(() => bob!.presence.statusOf("alice") === "offline", {
      message: "alice offline",
      timeoutMs: 10_000,
    });
  });

  it("the account's status: dnd with text and invisible reach contacts and hold across a reconnect", async () => {
    const [alice, bob] = await connectedClients(bed.server, bed.home, ["alice", "bob"]);
    bed.track(bob!);
    await alice!.resolveConversation("@bob");
    await waitFor(() => bob!.presence.statusOf("alice") === "online", { message: "alice online" });
    const until = Date.now() + 3_600_000;
    expect(await alice!.presence.setStatus("dnd", { text: "heads down", until })).toEqual({
      status: "dnd",
      text: "heads down",
      until,
    });
    expect(alice!.presence.doNotDisturb).toBe(true);
    await waitFor(() => bob!.presence.statusOf("alice") === "dnd", { message: "alice dnd" });
    expect(bob!.presence.detailsOf("alice")).toEqual({
      handle: "alice",
      status: "dnd",
      text: "heads down",
      until,
    });

    await alice!.presence.setStatus("invisible");
    await waitFor(() => bob!.presence.statusOf("alice") === "offline", { message: "alice hidden" });
    dropConnection(alice!);
    await alice!.sync.nextSynced();
    expect(alice!.presence.ownStatus).toEqual({ status: "invisible" });
    expect(await alice!.presence.refreshStatus()).toEqual({ status: "invisible" });
    expect(bob!.presence.statusOf("alice")).toBe("offline");
    await alice!.presence.setStatus("online");
    await waitFor(() => bob!.presence.statusOf("alice") === "online", { message: "alice visible again" });
  });
});

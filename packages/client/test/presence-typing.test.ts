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

  it("Presence remembers the own status and re-sends only an away after a reconnect", () => {
    const sent: string[] = [];
    const presence = new PresenceService((s) => sent.push(s));
    presence.connected();
    presence.setStatus("away");
    presence.connected();
    presence.setStatus("online");
    presence.connected();
    expect(sent).toEqual(["away", "away", "online"]);
    expect(() => presence.setStatus("busy" as "away")).toThrow(/status/);
    expect(presence.statusOf("nobody")).toBe("offline");
  });
});

describe("presence and typing through a real gateway", () => {
  const bed = useTestServer();

  it("contacts see online, away (also after a reconnect), offline; typing shows and ends with the message", async () => {
    const [alice, bob] = await connectedClients(bed.server, bed.home, ["alice", "bob"]);
    bed.track(bob!);
    const conv = await alice!.resolveConversation("@bob");
    await waitFor(async () => (await bob!.conversations.list()).length === 1, { message: "bob joins" });
    await waitFor(() => bob!.presence.statusOf("alice") === "online", { message: "alice online" });
    await waitFor(() => alice!.presence.statusOf("bob") === "online", { message: "bob online" });

    alice!.presence.setStatus("away");
    await waitFor(() => bob!.presence.statusOf("alice") === "away", { message: "alice away" });
    dropConnection(alice!);
    await alice!.sync.nextSynced();
    await new Promise((r) => setTimeout(r, 1_500));
    await waitFor(() => bob!.presence.statusOf("alice") === "away", {
      message: "still away after the reconnect",
    });
    alice!.presence.setStatus("online");
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
});

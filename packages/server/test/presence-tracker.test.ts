import type { PresenceEvent } from "@volly/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { type Bus, PRESENCE_CHANNEL } from "../src/bus/bus.js";
import { createInProcessBus } from "../src/bus/in-process-bus.js";
import { createPresenceTracker, type PresenceTracker } from "../src/gateway/presence-tracker.js";
import { createRateGate } from "../src/gateway/rate-gate.js";

/** Lets the in-process bus deliver everything published so far (it defers to microtasks). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("presence tracker: per-node bookkeeping combined over the bus", () => {
  let bus: Bus;
  const trackers: PresenceTracker[] = [];
  const node = (nodeId: string) => {
    const tracker = createPresenceTracker({ bus, nodeId });
    trackers.push(tracker);
    return tracker;
  };
  afterEach(async () => {
    for (const t of trackers.splice(0)) t.close();
    await bus.close();
  });
  const bob = { accountId: "b".repeat(22), handle: "bob" };

  it("derives online / idle / offline across two nodes sharing one bus", async () => {
    bus = createInProcessBus();
    const one = node("node-1");
    const two = node("node-2");
    const seen: PresenceEvent[] = [];
    const watch = two.watch((e) => seen.push(e));
    expect(watch.setAccounts([bob.accountId])).toEqual([]);

    one.connect("c1", bob);
    await settle();
    expect(seen).toEqual([{ ...bob, status: "online" }]);
    two.connect("c2", bob);
    two.setStatus("c2", "idle");
    one.setStatus("c1", "idle");
    await settle();
    expect(seen.at(-1)).toEqual({ ...bob, status: "idle" });
    expect(one.status(bob.accountId)).toBe("idle");
    two.setStatus("c2", "online");
    await settle();
    expect(seen.at(-1)).toEqual({ ...bob, status: "online" });
    two.disconnect("c2");
    await settle();
    expect(seen.at(-1)).toEqual({ ...bob, status: "idle" }); // node 1 still has bob, away
    one.disconnect("c1");
    await settle();
    expect(seen.at(-1)).toEqual({ ...bob, status: "offline" });
    expect(seen.map((e) => e.status)).toEqual(["online", "idle", "online", "idle", "offline"]);
  });

  it("answers a new watch with current non-offline presence and an unwatch with offline", async () => {
    bus = createInProcessBus();
    const tracker = node("n");
    tracker.connect("c1", bob);
    await settle();
    const events: PresenceEvent[] = [];
    const watch = tracker.watch((e) => events.push(e));
    const carol = "c".repeat(22);
    expect(watch.setAccounts([bob.accountId, carol])).toEqual([{ ...bob, status: "online" }]);
    expect(watch.setAccounts([carol])).toEqual([{ ...bob, status: "offline" }]);
    tracker.setStatus("c1", "idle");
    await settle();
    expect(events).toEqual([]); // no longer watched
    watch.stop();
  });

  it("publishes only when a node's view of the account changes", async () => {
    bus = createInProcessBus();
    const published: unknown[] = [];
    bus.subscribe("presence", (m) => published.push(m));
    const tracker = node("n");
    tracker.connect("c1", bob);
    tracker.connect("c2", bob);
    tracker.setStatus("c1", "idle"); // c2 still online
    tracker.setStatus("c1", "idle");
    tracker.disconnect("c1");
    tracker.disconnect("unknown");
    await settle();
    expect(published).toEqual([{ type: "presence", nodeId: "n", ...bob, status: "online" }]);
  });
});

describe("presence tracker: views of other nodes expire unless republished", () => {
  const bob = { accountId: "b".repeat(22), handle: "bob" };

  it("keeps a live node's account online past the TTL (republished), and drops a vanished node's after it", async () => {
    const bus = createInProcessBus();
    const timing = { refreshIntervalMs: 25, ttlMs: 500 };
    const one = createPresenceTracker({ bus, nodeId: "node-1", ...timing });
    const two = createPresenceTracker({ bus, nodeId: "node-2", ...timing });
    try {
      const seen: PresenceEvent[] = [];
      two.watch((e) => seen.push(e)).setAccounts([bob.accountId]);
      one.connect("c1", bob);
      await new Promise((r) => setTimeout(r, 1_200)); // more than twice the TTL
      expect(seen).toEqual([{ ...bob, status: "online" }]);
      expect(one.status(bob.accountId)).toBe("online"); // its own view never expires
      one.close(); // vanishes: no "offline" is ever published
      const vanished = Date.now();
      while (two.status(bob.accountId) !== "offline" && Date.now() - vanished < 5_000) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(seen.at(-1)).toEqual({ ...bob, status: "offline" });
      expect(Date.now() - vanished).toBeLessThan(timing.ttlMs + 2_000);
      expect(Date.now() - vanished).toBeGreaterThanOrEqual(timing.ttlMs - 2 * timing.refreshIntervalMs);
    } finally {
      one.close();
      two.close();
      await bus.close();
    }
  });

  it("republishes every non-offline view on demand (after a bus resync)", async () => {
    const bus = createInProcessBus();
    const published: unknown[] = [];
    bus.subscribe("presence", (m) => published.push(m));
    const tracker = createPresenceTracker({ bus, nodeId: "n" });
    try {
      tracker.connect("c1", bob);
      tracker.connect("c2", { accountId: "c".repeat(22), handle: "carol" });
      tracker.disconnect("c2");
      await settle();
      published.length = 0;
      tracker.republish();
      await settle();
      expect(published).toEqual([
        { type: "presence-refresh", nodeId: "n", views: [{ ...bob, status: "online" }] },
      ]);
    } finally {
      tracker.close();
      await bus.close();
    }
  });

  it("republishes 1,201 accounts in 3 batched messages that keep them alive on another node", async () => {
    const bus = createInProcessBus();
    const published: { type: string; views?: unknown[] }[] = [];
    bus.subscribe("presence", (m) => published.push(m));
    const timing = { refreshIntervalMs: 60_000, ttlMs: 60_000 };
    const one = createPresenceTracker({ bus, nodeId: "node-1", ...timing });
    const two = createPresenceTracker({ bus, nodeId: "node-2", ...timing });
    try {
      const accounts = Array.from({ length: 1_201 }, (_, i) => ({
        accountId: `account-${String(i).padStart(14, "0")}`,
        handle: `user${i}`,
      }));
      for (const [i, account] of accounts.entries()) one.connect(`c${i}`, account);
      one.setStatus("c7", "idle");
      await settle();
      published.length = 0;
      one.republish();
      await settle();
      expect(published.map((m) => [m.type, m.views?.length])).toEqual([
        ["presence-refresh", 500],
        ["presence-refresh", 500],
        ["presence-refresh", 201],
      ]);
      // A node that joins later learns every account from the refresh alone.
      const three = createPresenceTracker({ bus, nodeId: "node-3", ...timing });
      try {
        expect(three.status(accounts[1_200]?.accountId ?? "")).toBe("offline");
        one.republish();
        await settle();
        expect(three.status(accounts[0]?.accountId ?? "")).toBe("online");
        expect(three.status(accounts[7]?.accountId ?? "")).toBe("idle");
        expect(three.status(accounts[1_200]?.accountId ?? "")).toBe("online");
      } finally {
        three.close();
      }
      expect(two.status(accounts[1_200]?.accountId ?? "")).toBe("online");
    } finally {
      one.close();
      two.close();
      await bus.close();
    }
  });
});

describe("rate gate", () => {
  it("admits one event per key per interval and bounds the keys it remembers", () => {
    let now = 0;
    const gate = createRateGate(1_000, () => now, 2);
    expect(gate.allow("a")).toBe(true);
    expect(gate.allow("a")).toBe(false);
    expect(gate.allow("b")).toBe(true);
    expect(gate.allow("c")).toBe(false); // two keys within one interval: full
    now = 999;
    expect(gate.allow("a")).toBe(false);
    now = 1_000;
    expect(gate.allow("a")).toBe(true);
    expect(gate.allow("c")).toBe(true); // "b" was stale and pruned
  });
});

describe("presence tracker: chosen statuses", () => {
  const bob = { accountId: "b".repeat(22), handle: "bob" };
  const alice = "a".repeat(22);

  it("tells watchers when a custom text expires, by the injected clock, without a timer per status", async () => {
    const bus = createInProcessBus();
    let time = 1_000_000;
    const tracker = createPresenceTracker({ bus, nodeId: "n", now: () => time, refreshIntervalMs: 20 });
    try {
      const seen: PresenceEvent[] = [];
      const own: PresenceEvent[] = [];
      tracker.watch((e) => seen.push(e)).setAccounts([bob.accountId]);
      tracker.watch((e) => own.push(e), bob.accountId).setAccounts([bob.accountId]);
      tracker.connect("c1", bob, { status: "dnd", text: "focus", until: time + 60_000, setAt: time });
      await waitFor(() => seen.length === 1 && own.length === 1);
      expect(seen[0]).toEqual({ ...bob, status: "dnd", text: "focus", until: time + 60_000 });
      time += 60_000;
      await waitFor(() => seen.length === 2 && own.length === 2, { message: "the expiry to be announced" });
      expect(seen[1]).toEqual({ ...bob, status: "dnd" });
      expect(own[1]).toEqual({ ...bob, status: "dnd" });
    } finally {
      tracker.close();
      await bus.close();
    }
  });

  it("keeps the latest chosen status (by setAt) and hides an invisible account from everyone else", async () => {
    const bus = createInProcessBus();
    const tracker = createPresenceTracker({ bus, nodeId: "n" });
    try {
      const peer: PresenceEvent[] = [];
      const self: PresenceEvent[] = [];
      tracker.watch((e) => peer.push(e), alice).setAccounts([bob.accountId]);
      tracker.watch((e) => self.push(e), bob.accountId).setAccounts([bob.accountId]);
      tracker.connect("c1", bob, { status: "invisible", setAt: 10 });
      await settle();
      expect(peer).toEqual([]);
      expect(self).toEqual([{ ...bob, status: "invisible" }]);
      bus.publish(PRESENCE_CHANNEL, {
        type: "presence-status",
        ...bob,
        chosen: { status: "dnd", setAt: 5 }, // older: ignored
      });
      bus.publish(PRESENCE_CHANNEL, {
        type: "presence-status",
        ...bob,
        chosen: { status: "idle", setAt: 20 },
      });
      await settle();
      expect(peer).toEqual([{ ...bob, status: "idle" }]);
      expect(self.at(-1)).toEqual({ ...bob, status: "idle" });
      expect(tracker.status(bob.accountId)).toBe("idle");
    } finally {
      tracker.close();
      await bus.close();
    }
  });
});

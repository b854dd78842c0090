import { type MessageRecord, messageText } from "@volly/client";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, texts, useTestServer } from "./helpers.js";

describe("enqueue and the outbox", () => {
  const bed = useTestServer();

  it("enqueue returns pending at once; written while the server is down, everything goes out after it is back, in order, once", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    const conv = await alice!.resolveConversation("@bob");
    await waitFor(async () => (await bob!.conversations.list()).length === 1, { message: "bob joins" });
    const bobInbox = inbox(bob!);
    const updates: MessageRecord[] = [];
    alice!.messaging.updates.add((m) => updates.push(m));

    const online = await alice!.messaging.enqueue(conv.id, "while online");
    expect(online.status).toBe("pending");
    await waitFor(() => updates.some((m) => m.id === online.id && m.status === "sent"), { message: "sent" });

    await bed.server.stop();
    const offline: MessageRecord[] = [];
    for (let i = 0; i < 5; i++) offline.push(await alice!.messaging.enqueue(conv.id, `offline ${i}`));
    expect(offline.every((m) => m.status === "pending")).toBe(true);
    expect(updates.filter((m) => m.status === "pending").map((m) => messageText(m))).toEqual([
      "while online",
      ...offline.map((m) => messageText(m)),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await alice!.messaging.pendingCount()).toBeGreaterThanOrEqual(5);
    const history = await alice!.messaging.history(conv.id);
    expect(history.slice(1).map((m) => m.status)).toEqual([
      "pending",
      "pending",
      "pending",
      "pending",
      "pending",
    ]);

    await bed.server.start();
    await waitFor(async () => (await alice!.messaging.pendingCount()) === 0, { message: "outbox drained" });
    await waitFor(() => bobInbox.length === 6, { message: "bob receives all six" });
    await new Promise((r) => setTimeout(r, 500));
    expect(bobInbox.map((m) => messageText(m))).toEqual([
      "while online",
      ...offline.map((m) => messageText(m)),
    ]);
    expect(await texts(bob!, conv.id)).toEqual(["while online", ...offline.map((m) => messageText(m))]);
    const statuses = (await alice!.messaging.history(conv.id)).map((m) => m.status);
    expect(statuses.every((s) => s === "sent" || s === "delivered" || s === "read")).toBe(true);
    for (const m of offline) {
      expect(updates.filter((u) => u.id === m.id && u.status === "sent")).toHaveLength(1);
    }
  });

  it("send resolves once stored; sends and incoming messages on one conversation interleave safely", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    const conv = await alice!.resolveConversation("@bob");
    await waitFor(async () => (await bob!.conversations.list()).length === 1, { message: "bob joins" });
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => alice!.messaging.enqueue(conv.id, `a${i}`)),
      ...Array.from({ length: 10 }, (_, i) => bob!.messaging.enqueue(conv.id, `b${i}`)),
    ]);
    for (const c of [alice!, bob!]) {
      await waitFor(async () => (await texts(c, conv.id)).length === 20, {
        message: "all twenty on both sides",
      });
      const got = await texts(c, conv.id);
      expect(got.filter((t) => t.startsWith("a"))).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`));
      expect(got.filter((t) => t.startsWith("b"))).toEqual(Array.from({ length: 10 }, (_, i) => `b${i}`));
      expect(await c.messaging.undecryptable()).toEqual({});
    }
  });
});

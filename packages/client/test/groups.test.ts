import type { VollyClient } from "@volly/client";
import { restApi } from "@volly/client/testing";
import { VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, newClient, texts, useTestServer } from "./helpers.js";

/**
 * Records the outcome of each commit a client posts, and holds the first one until `peers` first
 * commits are all built (a test-side wrap of the client's own HttpApi; the server is real).
 */
const barrier = { waiting: 0, release: undefined as (() => void) | undefined, gate: Promise.resolve() };
function commitCounter(client: VollyClient): { results: string[] } {
  const results: string[] = [];
  const api = restApi(client);
  const call = api.call.bind(api);
  if (barrier.waiting === 0) {
    barrier.gate = new Promise<void>((r) => {
      barrier.release = r;
    });
  }
  barrier.waiting++;
  let first = true;
  api.call = (async (route: string, options: unknown) => {
    if (route === "commit" && first) {
      first = false;
      if (--barrier.waiting === 0) barrier.release?.();
      await barrier.gate;
    }
    try {
      const res = await (call as (r: string, o: unknown) => Promise<unknown>)(route, options);
      if (route === "commit") results.push("ok");
      return res;
    } catch (err) {
      if (route === "commit") results.push(err instanceof VollyError ? err.code : "error");
      throw err;
    }
  }) as typeof api.call;
  return { results };
}

describe("group conversations (RFC 9420 §12: Add, Remove, one commit per epoch)", () => {
  const bed = useTestServer();

  it("three accounts: created with a name, everyone joins with members and display names; rename reaches all", async () => {
    const alice = bed.track(await newClient(bed.home, bed.server.url, "alice", { displayName: "Alice A." }));
    await alice.connect();
    const [bob, carol] = await bed.clients("bob", "carol");
    const group = await alice.conversations.createGroup("  Hiking club ", ["bob", "@carol", "alice"]);
    expect(group).toMatchObject({ kind: "group", title: "Hiking club" });
    expect(group.members?.map((m) => m.handle)).toEqual(["bob", "carol"]);

    for (const c of [bob!, carol!]) {
      await waitFor(async () => (await c.conversations.list())[0]?.title === "Hiking club", {
        message: "group name",
      });
      const conv = await c.conversations.get(group.id);
      expect(conv.kind).toBe("group");
      const alicesEntry = conv.members?.find((m) => m.handle === "alice");
      expect(alicesEntry?.displayName).toBe("Alice A.");
      expect(conv.members).toHaveLength(2);
    }
    const bobInbox = inbox(bob!);
    await carol!.messaging.send(group.id, "hello all");
    await waitFor(() => bobInbox.length === 1, { message: "bob receives carol's message" });
    await waitFor(async () => (await texts(alice, group.id)).includes("hello all"), {
      message: "alice receives",
    });

    await bob!.conversations.rename(group.id, "Climbing club");
    for (const c of [alice, carol!]) {
      await waitFor(async () => (await c.conversations.get(group.id)).title === "Climbing club", {
        message: "rename",
      });
    }
    expect(await texts(bob!, group.id)).toEqual(["hello all"]); // names are not messages
    for (const c of [alice, bob!, carol!]) expect(await c.messaging.undecryptable()).toEqual({});
  });

  it("a group of two accounts is a group (not the direct conversation) once its name arrives", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    const group = await alice!.conversations.createGroup("Just us", ["bob"]);
    await waitFor(async () => (await bob!.conversations.list()).some((c) => c.title === "Just us"), {
      message: "name",
    });
    expect((await bob!.conversations.get(group.id)).kind).toBe("group");
    expect(await bob!.conversations.findDirect("alice")).toBeUndefined();
    const direct = await bob!.resolveConversation("@alice");
    expect(direct.id).not.toBe(group.id);
    expect(direct).toMatchObject({ kind: "direct", peerHandle: "alice", title: "alice" });
  });

  it("add: the new member learns the name and reads what follows; remove: the removed one is left and reads nothing more", async () => {
    const [alice, bob, carol, dave] = await bed.clients("alice", "bob", "carol", "dave");
    const group = await alice!.conversations.createGroup("Team", ["bob", "carol"]);
    await alice!.conversations.grantAdmin(group.id, "bob"); // only admins add other accounts
    await waitFor(async () => (await carol!.conversations.list()).length === 1, { message: "carol joins" });
    await alice!.messaging.send(group.id, "before dave");

    const added = await bob!.conversations.addMembers(group.id, ["dave", "carol"]);
    expect(added.members?.map((m) => m.handle)).toEqual(["alice", "carol", "dave"]);
    await waitFor(async () => (await dave!.conversations.list())[0]?.title === "Team", {
      message: "dave learns the name",
    });
    await bob!.messaging.send(group.id, "welcome dave");
    await waitFor(async () => (await texts(dave!, group.id)).includes("welcome dave"), {
      message: "dave reads",
    });
    expect(await texts(dave!, group.id)).toEqual(["welcome dave"]);
    await waitFor(async () => (await alice!.conversations.get(group.id)).members?.length === 3, {
      message: "alice sees dave join",
    });

    const removed = await alice!.conversations.removeMember(group.id, "carol");
    expect(removed.members?.map((m) => m.handle)).toEqual(["bob", "dave"]);
    await alice!.messaging.send(group.id, "after carol");
    for (const c of [bob!, dave!]) {
      await waitFor(async () => (await texts(c, group.id)).includes("after carol"), {
        message: "members read on",
      });
      await waitFor(async () => (await c.conversations.get(group.id)).members?.length === 2, {
        message: "members updated",
      });
    }
    // carol's device was removed by the commit: she learns it (from the commit, or at the latest when
    // she tries to send) and never sees what was sent afterwards.
    const attempt = await carol!.messaging.send(group.id, "am I still here?").catch((e: unknown) => e);
    expect(attempt).toBeInstanceOf(VollyError);
    expect((attempt as VollyError).code).toBe("VOLLY_E_NOT_GROUP_MEMBER");
    await waitFor(async () => (await carol!.conversations.get(group.id)).left === true, {
      message: "carol is left",
    });
    expect(await texts(carol!, group.id)).not.toContain("after carol");
    for (const c of [alice!, bob!, dave!]) expect(await c.messaging.undecryptable()).toEqual({});
    await expect(alice!.conversations.removeMember(group.id, "alice")).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
  });

  it("a removed device learns it from the commit itself and its conversation becomes left", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    const group = await alice!.conversations.createGroup("Short-lived", ["bob"]);
    await waitFor(async () => (await bob!.conversations.list()).length === 1, { message: "bob joins" });
    await alice!.conversations.removeMember(group.id, "bob");
    await waitFor(async () => (await bob!.conversations.get(group.id)).left === true, {
      message: "bob is left",
      timeoutMs: 10_000,
    });
    await expect(bob!.messaging.send(group.id, "hi")).rejects.toMatchObject({
      code: "VOLLY_E_NOT_GROUP_MEMBER",
    });
  });

  it("leave: a departure, the remaining member with the lowest leaf index commits the Remove", async () => {
    const [alice, bob, carol] = await bed.clients("alice", "bob", "carol");
    const group = await alice!.conversations.createGroup("Book club", ["bob", "carol"]);
    await waitFor(async () => (await carol!.conversations.list())[0]?.title === "Book club", {
      message: "carol joins",
    });
    await carol!.conversations.leave(group.id);
    expect((await carol!.conversations.get(group.id)).left).toBe(true);
    await expect(carol!.messaging.enqueue(group.id, "x")).rejects.toMatchObject({
      code: "VOLLY_E_NOT_GROUP_MEMBER",
    });
    for (const c of [alice!, bob!]) {
      await waitFor(
        async () =>
          (await c.conversations.get(group.id)).members?.map((m) => m.handle).join() ===
          (c === alice ? "bob" : "alice"),
        { message: "carol's leaf removed" },
      );
    }
    await bob!.messaging.send(group.id, "just the two of us");
    await waitFor(async () => (await texts(alice!, group.id)).includes("just the two of us"), {
      message: "alice reads",
    });
    for (const c of [alice!, bob!]) expect(await c.messaging.undecryptable()).toEqual({});
  });

  it("concurrent commits from two members: one wins, the other processes it and retries; no fork", async () => {
    const [alice, bob, carol, dave, erin] = await bed.clients("alice", "bob", "carol", "dave", "erin");
    const group = await alice!.conversations.createGroup("Race", ["bob", "carol"]);
    await alice!.conversations.grantAdmin(group.id, "bob"); // only admins add other accounts
    await waitFor(async () => (await bob!.conversations.list()).length === 1, { message: "bob joins" });
    await waitFor(async () => (await carol!.conversations.list()).length === 1, { message: "carol joins" });
    // Hold both first commits until both are built on the same epoch, so they really race.
    const commits = [commitCounter(alice!), commitCounter(bob!)];
    const [a, b] = await Promise.all([
      alice!.conversations.addMembers(group.id, ["dave"]),
      bob!.conversations.addMembers(group.id, ["erin"]),
    ]);
    expect(commits.map((c) => c.results.filter((r) => r === "VOLLY_E_STALE_EPOCH").length).sort()).toEqual([
      0, 1,
    ]);
    expect(a.members?.map((m) => m.handle)).toContain("dave");
    expect(b.members?.map((m) => m.handle)).toContain("erin");
    const everyone = [alice!, bob!, carol!, dave!, erin!];
    await waitFor(
      async () => {
        for (const c of everyone) {
          const conv = await c.conversations.get(group.id).catch(() => undefined);
          if (conv?.members?.length !== 4) return false;
        }
        return true;
      },
      { message: "all five agree on the members" },
    );
    // Concurrent sends from everyone: each message is read by all the others.
    await Promise.all(everyone.map((c, i) => c.messaging.send(group.id, `from ${i}`)));
    for (const [i, c] of everyone.entries()) {
      await waitFor(
        async () => (await texts(c, group.id)).filter((t) => t.startsWith("from ")).length === 5,
        { message: `member ${i} reads everyone` },
      );
    }
    for (const c of everyone) expect(await c.messaging.undecryptable()).toEqual({});
  });

  it("refuses bad names, unknown handles, and group operations on a direct conversation", async () => {
    const [alice] = await bed.clients("alice", "bob");
    await expect(alice!.conversations.createGroup("", ["bob"])).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
    await expect(alice!.conversations.createGroup("x".repeat(65), ["bob"])).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
    await expect(alice!.conversations.createGroup("ok", ["nobody-here"])).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_HANDLE",
    });
    const direct = await alice!.resolveConversation("@bob");
    await expect(alice!.conversations.addMembers(direct.id, ["bob"])).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
    await expect(alice!.conversations.rename(direct.id, "nope")).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
    await expect(alice!.conversations.leave(direct.id)).rejects.toMatchObject({ code: "VOLLY_E_USAGE" });
  });
});

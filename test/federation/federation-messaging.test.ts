import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { MessageRecord, VollyClient } from "@volly/client";
import { damageGroupState } from "@volly/client/testing";
import type { AttachmentPointer } from "@volly/protocol";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  queryOnce,
  type TestDatabase,
} from "../../packages/server/test/helpers/postgres.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { clientOn, type FederatedServer, startFederatedServer } from "./helpers/federated-servers.js";

/** The texts of `client`'s messages in a conversation, oldest first (incoming and outgoing). */
async function textsIn(client: VollyClient, conversationId: string): Promise<string[]> {
  const history: MessageRecord[] = await client.messaging.history(conversationId, 1000);
  // Texts of messages (the attachment messages have none).
  return history.flatMap((m) => (m.body.type === "text" && m.body.text !== "" ? [m.body.text] : []));
}

/** How many log entries with that message id the SQLite store of `server` holds. */
function sqliteCount(server: FederatedServer, messageId: string): number {
  const db = new Database(join(server.dataDir, "volly.db"), { readonly: true, fileMustExist: true });
  try {
    return (
      db.prepare("SELECT count(*) AS n FROM group_log WHERE message_id = ?").get(messageId) as { n: number }
    ).n;
  } finally {
    db.close();
  }
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * People on three servers in the same encrypted conversations (issue 18): three `volly serve`
 * processes on 127.0.0.2, 127.0.0.3 (PostgreSQL) and 127.0.0.4, each with its own database; a DM and
 * a group spanning all three; the hub and a follower killed with SIGKILL mid-stream and restarted.
 * Every device ends with every message exactly once, in each sender's order, none undecryptable,
 * and no server's database or log holds a message's text.
 */
describe("federated conversations across three servers", () => {
  let a: FederatedServer;
  let b: FederatedServer;
  let c: FederatedServer;
  let database: TestDatabase;
  let alice: VollyClient;
  let bob: VollyClient;
  let carol: VollyClient;
  let dave: VollyClient;
  let group = "";
  const home = tempDir("volly-fed-msg-");
  const sent: Record<string, string[]> = { alice: [], bob: [], carol: [] };

  beforeAll(async () => {
    database = await createTestDatabase();
    [a, b, c] = await Promise.all([
      startFederatedServer("127.0.0.2"),
      startFederatedServer("127.0.0.3", { VOLLY_DATABASE_URL: database.url }),
      startFederatedServer("127.0.0.4"),
    ]);
    [alice, bob, carol, dave] = await Promise.all([
      clientOn(home, a, "alice"),
      clientOn(home, b, "bob"),
      clientOn(home, c, "carol"),
      clientOn(home, b, "dave"),
    ]);
    await Promise.all([alice.connect(), bob.connect(), carol.connect(), dave.connect()]);
  });

  afterAll(async () => {
    await Promise.all([alice, bob, carol, dave].map((client) => client?.close().catch(() => undefined)));
    await Promise.all([a, b, c].map((server) => server?.process.stop()));
    await database?.drop();
  });

  it("a DM between servers: alice@a writes to @bob@b, bob answers, each sees the other qualified", async () => {
    const dm = await alice.resolveConversation(`@bob@${b.name}`);
    await alice.messaging.send(dm.id, "hello bob, from a");
    await waitFor(async () => (await bob.conversations.list()).some((conv) => conv.id === dm.id), {
      message: "bob joins the DM",
    });
    await waitFor(async () => (await textsIn(bob, dm.id)).includes("hello bob, from a"), {
      message: "bob reads alice's message",
    });
    await bob.messaging.send(dm.id, "hi alice, from b");
    await waitFor(async () => (await textsIn(alice, dm.id)).includes("hi alice, from b"), {
      message: "alice reads bob's answer",
    });
    const text = (m: MessageRecord) => (m.body.type === "text" ? m.body.text : "");
    const fromAlice = (await bob.messaging.history(dm.id, 10)).find((m) => text(m) === "hello bob, from a");
    expect(fromAlice?.from).toBe(`alice@${a.name}`);
    const fromBob = (await alice.messaging.history(dm.id, 10)).find((m) => text(m) === "hi alice, from b");
    expect(fromBob?.from).toBe(`bob@${b.name}`);
  });

  it("a group on a with members of b and c: everyone reads everyone", async () => {
    // Two accounts of b in a group b does not know yet: one claim there, a first contact each.
    const pair = await alice.conversations.createGroup("a and b", [`@bob@${b.name}`, `@dave@${b.name}`]);
    await waitFor(async () => (await dave.conversations.list()).some((conv) => conv.id === pair.id), {
      message: "dave joins the group with bob",
    });
    group = (await alice.conversations.createGroup("three servers", [`@bob@${b.name}`, `@carol@${c.name}`]))
      .id;
    await waitFor(
      async () =>
        (await bob.conversations.list()).some((conv) => conv.id === group) &&
        (await carol.conversations.list()).some((conv) => conv.id === group),
      { message: "bob and carol join the group" },
    );
    for (const [name, client] of [
      ["alice", alice],
      ["bob", bob],
      ["carol", carol],
    ] as const) {
      const text = `${name} 0`;
      sent[name]?.push(text);
      await client.messaging.send(group, text);
    }
    for (const client of [alice, bob, carol]) {
      await waitFor(
        async () => {
          const texts = await textsIn(client, group);
          return ["alice 0", "bob 0", "carol 0"].every((t) => texts.includes(t));
        },
        {
          message: "every member reads the three first messages",
        },
      );
    }
  });

  it("the hub learns how far the other servers' devices have read its group, for its retention", async () => {
    const cursorAtHub = (deviceId: string) => {
      const db = new Database(join(a.dataDir, "volly.db"), { readonly: true, fileMustExist: true });
      try {
        const row = db
          .prepare("SELECT seq FROM cursors WHERE device_id = ? AND group_id = ?")
          .get(deviceId, group) as { seq: number } | undefined;
        return row?.seq ?? 0;
      } finally {
        db.close();
      }
    };
    for (const member of [bob, carol]) {
      // What the member's device received (and so acknowledged on its own server).
      const received = (await member.messaging.history(group, 1000)).filter((m) => m.direction === "in");
      const lastSeq = Math.max(...received.map((m) => m.seq ?? 0));
      expect(lastSeq).toBeGreaterThan(0);
      await waitFor(() => cursorAtHub(member.profile.deviceId) >= lastSeq, {
        message: `the hub has ${member.profile.handle}'s cursor at ${lastSeq}`,
      });
    }
  });

  it("a message deleted for everyone on a follower server is gone from every server's copy", async () => {
    const doomed = await bob.messaging.send(group, "bob regrets this one");
    for (const client of [alice, carol]) {
      await waitFor(async () => (await textsIn(client, group)).includes("bob regrets this one"), {
        message: `${client.profile.handle} reads bob's message before it is deleted`,
      });
    }
    const stored = async () => ({
      a: sqliteCount(a, doomed.id),
      b: Number(
        (
          await queryOnce<{ n: string }>(
            database.url,
            "SELECT count(*) AS n FROM group_log WHERE message_id = $1",
            [doomed.id],
          )
        )[0]?.n,
      ),
      c: sqliteCount(c, doomed.id),
    });
    // bob's own server keeps the copy the hub sends back, which may land after the others read it
    await waitFor(async () => JSON.stringify(await stored()) === JSON.stringify({ a: 1, b: 1, c: 1 }), {
      message: "the hub and both followers store bob's message",
    });
    await bob.messaging.delete(group, doomed.id, "everyone");
    await waitFor(async () => JSON.stringify(await stored()) === JSON.stringify({ a: 0, b: 0, c: 0 }), {
      message: "the hub and both followers delete their copies",
    });
    for (const client of [alice, carol]) {
      await waitFor(async () => !(await textsIn(client, group)).includes("bob regrets this one"), {
        message: `${client.profile.handle} shows bob's message as deleted`,
      });
    }
  });

  it("presence and typing cross servers: carol sees alice online, typing, and her dnd status", async () => {
    const aliceOnC = `alice@${a.name}`;
    await waitFor(() => carol.presence.statusOf(aliceOnC) === "online", {
      message: "carol sees alice online",
    });
    alice.typing.notifyTyping(group);
    await waitFor(() => carol.typing.typingIn(group).includes(aliceOnC), {
      message: "carol sees alice typing",
    });
    // bob's typing goes from b to the hub a, which passes it on to c.
    bob.typing.notifyTyping(group);
    await waitFor(() => carol.typing.typingIn(group).includes(`bob@${b.name}`), {
      message: "carol sees bob (a third server) typing",
    });
    await alice.presence.setStatus("dnd");
    await waitFor(() => carol.presence.statusOf(aliceOnC) === "dnd", { message: "carol sees alice's dnd" });
    await alice.presence.setStatus("online");
    await waitFor(() => carol.presence.statusOf(aliceOnC) === "online", { message: "and online again" });
  });

  it("a file sent on a follower server and one sent on the hub reach the members of all three servers byte for byte", async () => {
    const members = { alice, bob, carol } as const;
    for (const [name, sender] of [
      ["carol", carol],
      ["alice", alice],
    ] as const) {
      const bytes = randomBytes(150_000);
      const queued = await sender.attachments.send(group, [
        { source: new Uint8Array(bytes), name: `${name}.bin`, mime: "application/octet-stream" },
      ]);
      const sent = await sender.attachments.whenSent(queued.id);
      for (const [reader, client] of Object.entries(members)) {
        let found: MessageRecord | undefined;
        await waitFor(
          async () => {
            found = (await client.messaging.history(group, 1_000)).find((m) => m.id === sent.id);
            return (found?.attachments?.length ?? 0) > 0;
          },
          { timeoutMs: 60_000, message: `${reader} has ${name}'s file` },
        );
        const pointer = found?.attachments?.[0] as AttachmentPointer;
        expect(Buffer.from(await client.attachments.download(pointer)).equals(bytes)).toBe(true);
      }
    }
  });

  it("the hub killed with SIGKILL mid-stream and restarted: nothing lost, nothing twice, each sender's order kept", async () => {
    const stream = async (round: string, count: number) => {
      for (let i = 0; i < count; i++) {
        for (const [name, client] of [
          ["alice", alice],
          ["bob", bob],
          ["carol", carol],
        ] as const) {
          const text = `${name} ${round}${i}`;
          sent[name]?.push(text);
          void client.messaging.send(group, text).catch(() => undefined);
        }
      }
    };
    await stream("h", 3);
    await a.process.kill9();
    await stream("d", 3); // bob's and carol's wait in their outboxes; alice's too
    await a.restart();
    await stream("r", 3);
    await b.process.kill9();
    await stream("f", 2);
    await b.restart();
    const all = Object.values(sent).flat();
    for (const client of [alice, bob, carol]) {
      await waitFor(
        async () => {
          const texts = new Set(await textsIn(client, group));
          return all.every((text) => texts.has(text));
        },
        {
          message: `${client.profile.handle} reads all ${all.length} messages`,
          timeoutMs: 120_000,
        },
      );
      const texts = await textsIn(client, group);
      expect(new Set(texts).size).toBe(texts.length);
      expect([...texts].sort()).toEqual([...all].sort());
      for (const [name, own] of Object.entries(sent)) {
        expect(texts.filter((t) => t.startsWith(`${name} `))).toEqual(own);
      }
      expect(Object.values(await client.messaging.undecryptable()).reduce((n, v) => n + v, 0)).toBe(0);
    }
  });

  it("a member whose state is lost rejoins a group hosted on another server by external commit", async () => {
    await damageGroupState(carol, group, "delete");
    await alice.messaging.send(group, "while carol's state was lost");
    await waitFor(async () => (await carol.messaging.recoveries()) === 1, { message: "carol rejoins" });
    await alice.messaging.send(group, "after carol rejoined");
    await waitFor(async () => (await textsIn(carol, group)).includes("after carol rejoined"), {
      message: "carol reads the group again",
    });
  });

  it("no server's database or log holds a message's text", async () => {
    for (const server of [a, b, c]) {
      expect(server.process.output()).not.toContain("alice 0");
      for (const file of filesUnder(server.dataDir)) {
        const bytes = readFileSync(file);
        for (const text of ["hello bob, from a", "alice 0", "bob h1", "carol r2"]) {
          expect(bytes.includes(Buffer.from(text)), `${text} in ${file}`).toBe(false);
        }
      }
    }
    const rows = await queryOnce<{ payload: string }>(database.url, "SELECT payload FROM group_log");
    expect(rows.length).toBeGreaterThan(0);
    const dump =
      JSON.stringify(await queryOnce(database.url, "SELECT * FROM group_log")) + JSON.stringify(rows);
    expect(dump).not.toContain("hello bob");
  });
});

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { MessageRecord, VollyClient } from "@volly/client";
import { openNodeClient } from "@volly/client/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../packages/server/test/helpers/postgres.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { jsonLines, runVolly } from "../integration/helpers/cli.js";
import { clientOn, type FederatedServer, startFederatedServer } from "./helpers/federated-servers.js";

/** The texts of `client`'s messages in a conversation, oldest first. */
async function textsIn(client: VollyClient, conversationId: string): Promise<string[]> {
  const history: MessageRecord[] = await client.messaging.history(conversationId, 1000);
  return history.flatMap((m) => (m.body.type === "text" ? [m.body.text] : []));
}

/** Waits until every one of `clients` has `text` in the conversation. */
async function allRead(clients: VollyClient[], conversationId: string, text: string): Promise<void> {
  for (const client of clients) {
    await waitFor(async () => (await textsIn(client, conversationId)).includes(text), {
      message: `${client.profile.handle} reads "${text}"`,
    });
  }
}

/**
 * Moving an account between servers (issue 18): alice of server a moves to server b with
 * `volly account export` / `volly account import`, and keeps talking to the same people in the
 * same conversations — a group hosted by her old server, a DM hosted by a third server, a group
 * hosted by her new server — with her history; a fourth server that only shares a group with her
 * learns the move from the others. Her old handle names the new one and cannot be taken; her old
 * profile can no longer sign in at a; a move nobody signed is refused. b and c run on PostgreSQL.
 */
describe("moving an account to another server", () => {
  let a: FederatedServer;
  let b: FederatedServer;
  let c: FederatedServer;
  let d: FederatedServer;
  let databases: TestDatabase[] = [];
  let alice: VollyClient;
  let bob: VollyClient;
  let carol: VollyClient;
  let dave: VollyClient;
  let moved: VollyClient | undefined;
  const home = tempDir("volly-fed-move-");
  const conversations = { onA: "", onB: "", onC: "", onD: "", dmOnA: "" };

  beforeAll(async () => {
    // The new home and the third server on PostgreSQL, the old home and the fourth on SQLite.
    databases = await Promise.all([createTestDatabase(), createTestDatabase()]);
    [a, b, c, d] = await Promise.all([
      startFederatedServer("127.0.0.2"),
      startFederatedServer("127.0.0.3", { VOLLY_DATABASE_URL: databases[0]!.url }),
      startFederatedServer("127.0.0.4", { VOLLY_DATABASE_URL: databases[1]!.url }),
      startFederatedServer("127.0.0.5"),
    ]);
    [alice, bob, carol, dave] = await Promise.all([
      clientOn(home, a, "alice"),
      clientOn(home, b, "bob"),
      clientOn(home, c, "carol"),
      clientOn(home, d, "dave"),
    ]);
    await Promise.all([alice.connect(), bob.connect(), carol.connect(), dave.connect()]);
  });

  afterAll(async () => {
    await Promise.all(
      [alice, bob, carol, dave, moved].map((client) => client?.close().catch(() => undefined)),
    );
    await Promise.all([a, b, c, d].map((server) => server?.process.stop()));
    await Promise.all(databases.map((database) => database.drop()));
  });

  it("before: alice@a talks in a group on a, a DM on c and a group on b", async () => {
    conversations.onA = (
      await alice.conversations.createGroup("on a", [`@bob@${b.name}`, `@carol@${c.name}`, `@dave@${d.name}`])
    ).id;
    conversations.onC = (await carol.resolveConversation(`@alice@${a.name}`)).id;
    conversations.onB = (await bob.conversations.createGroup("on b", [`@alice@${a.name}`])).id;
    conversations.dmOnA = (await alice.resolveConversation(`@bob@${b.name}`)).id;
    await alice.messaging.send(conversations.dmOnA, "a DM with bob, before the move");
    await alice.messaging.send(conversations.onA, "before the move, on a");
    await carol.messaging.send(conversations.onC, "before the move, on c");
    await waitFor(
      async () => (await alice.conversations.list()).some((conv) => conv.id === conversations.onB),
      {
        message: "alice joins bob's group",
      },
    );
    await bob.messaging.send(conversations.onB, "before the move, on b");
    await allRead([bob, carol, dave], conversations.onA, "before the move, on a");
    await allRead([alice], conversations.onC, "before the move, on c");
    await allRead([alice], conversations.onB, "before the move, on b");
    await allRead([bob], conversations.dmOnA, "a DM with bob, before the move");
  });

  it("a move nobody signed is refused and changes nothing", async () => {
    const response = await fetch(`${b.url}/v1/accounts/import`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        move: {
          accountId: alice.profile.accountId,
          deviceId: alice.profile.deviceId,
          from: `alice@${a.name}`,
          to: `mallory@${b.name}`,
          at: Date.now(),
          signature: "A".repeat(86),
        },
        cursors: [],
      }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe("VOLLY_E_BAD_SIGNATURE");
    const still = await fetch(`${c.url}/v1/accounts/${encodeURIComponent(`alice@${a.name}`)}`);
    expect(((await still.json()) as { handle: string }).handle).toBe(`alice@${a.name}`);
  });

  it("alice exports her profile and imports it on b: same people, same conversations, her history", async () => {
    const pin = ["--pin", "123456"];
    await alice.close();
    const file = join(tempDir("volly-fed-move-file-"), "alice.volly");
    const exported = await runVolly([
      "--profile",
      join(home, "alice"),
      ...pin,
      "--json",
      "account",
      "export",
      file,
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    const newProfile = join(home, "alice-on-b");
    const noServer = await runVolly(["--profile", newProfile, ...pin, "account", "import", file]);
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toContain("--server");
    const imported = await runVolly([
      "--profile",
      newProfile,
      ...pin,
      "--json",
      "account",
      "import",
      file,
      "--server",
      b.url,
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    const result = jsonLines(imported.stdout).at(-1);
    expect(result).toMatchObject({
      from: `alice@${a.name}`,
      to: `alice@${b.name}`,
      accountId: alice.profile.accountId,
      deviceId: alice.profile.deviceId,
      conversations: 4,
    });

    const now = await openNodeClient(newProfile, "123456", { initialBackoffMs: 50, maxBackoffMs: 500 });
    moved = now;
    await now.connect();
    expect(now.profile.handle).toBe("alice");
    expect(now.profile.serverUrl).toBe(b.url);
    // Her conversations name people as her new server does: bob is b's, so bare now; carol stays qualified.
    expect((await now.conversations.get(conversations.onB)).members?.map((m) => m.handle)).toEqual(["bob"]);
    expect(await now.conversations.findDirect(`@carol@${c.name}`)).toMatchObject({ id: conversations.onC });
    // bob is on her server now: `@bob` is the DM she had with @bob@b, not a new one; for bob,
    // `@alice` is the DM he had with @alice@a.
    expect((await now.resolveConversation("@bob")).id).toBe(conversations.dmOnA);
    expect((await bob.resolveConversation("@alice")).id).toBe(conversations.dmOnA);
    expect((await bob.conversations.get(conversations.dmOnA)).peerHandle).toBe("alice");
    // Her history came with her.
    expect(await textsIn(now, conversations.onA)).toContain("before the move, on a");
    expect(await textsIn(now, conversations.onC)).toContain("before the move, on c");

    // Everyone reads her and she reads everyone, in each conversation, wherever it is hosted.
    await now.messaging.send(conversations.onA, "after the move, alice on a's group");
    await allRead([bob, carol, dave], conversations.onA, "after the move, alice on a's group");
    await bob.messaging.send(conversations.onA, "after the move, bob on a's group");
    await allRead([now, carol, dave], conversations.onA, "after the move, bob on a's group");
    await carol.messaging.send(conversations.onC, "after the move, carol in the DM");
    await allRead([now], conversations.onC, "after the move, carol in the DM");
    await now.messaging.send(conversations.onC, "after the move, alice in the DM");
    await allRead([carol], conversations.onC, "after the move, alice in the DM");
    await now.messaging.send(conversations.onB, "after the move, alice on b's group");
    await allRead([bob], conversations.onB, "after the move, alice on b's group");

    // Others see the same account under its new handle.
    const text = (m: MessageRecord) => (m.body.type === "text" ? m.body.text : "");
    const seen = (await carol.messaging.history(conversations.onC, 50)).find(
      (m) => text(m) === "after the move, alice in the DM",
    );
    expect(seen?.from).toBe(`alice@${b.name}`);
    expect(seen?.fromAccountId).toBe(now.profile.accountId);
    const onB = (await bob.messaging.history(conversations.onB, 50)).find(
      (m) => text(m) === "after the move, alice on b's group",
    );
    expect(onB?.from).toBe("alice");
  });

  it("a server that only shares a group with her learns the move from her old server, and adds her at b", async () => {
    // d shares the group on a with her, and nothing else: a tells it, d checks with a and b.
    await waitFor(
      async () => {
        const response = await fetch(`${d.url}/v1/devices/${alice.profile.deviceId}`);
        return ((await response.json()) as { handle?: string }).handle === `alice@${b.name}`;
      },
      { message: "d names alice's device as b's" },
    );
    const now = moved as VollyClient;
    const onD = await dave.conversations.createGroup("on d", [`@alice@${b.name}`]);
    conversations.onD = onD.id;
    await waitFor(async () => (await now.conversations.list()).some((conv) => conv.id === onD.id), {
      message: "alice, on b now, joins dave's group on d",
    });
    await dave.messaging.send(onD.id, "a group on d, after the move");
    await allRead([now], onD.id, "a group on d, after the move");
    await now.messaging.send(onD.id, "alice answers from b");
    await allRead([dave], onD.id, "alice answers from b");
  });

  it("her avatar, uploaded once on b, reaches everyone in conversations hosted on a, b, c and d", async () => {
    const now = moved as VollyClient;
    const image = randomBytes(20_000);
    const set = await now.account.setAvatar({ source: image, name: "me.webp", mime: "image/webp" });
    expect(set.conversations).toBeGreaterThanOrEqual(4);
    for (const [peer, conversationId] of [
      [bob, conversations.onB],
      [carol, conversations.onC],
      [dave, conversations.onD],
    ] as const) {
      // Sent to each conversation: the one hosted on c and the one on d fetch it from b.
      await waitFor(
        async () =>
          (await peer.conversations.get(conversationId)).members?.find(
            (m) => m.accountId === now.profile.accountId,
          )?.avatar?.blobId === set.avatar?.blobId,
        { message: `${peer.profile.handle} sees her avatar in the conversation hosted on its server` },
      );
      const pointer = await peer.account.avatarOf(now.profile.accountId);
      const bytes = await peer.attachments.download(pointer as NonNullable<typeof pointer>);
      expect(Buffer.from(bytes).equals(image)).toBe(true);
    }
  });

  it("her old handle names the new one, nobody else can take it, and her old profile cannot sign in at a", async () => {
    const lookup = await fetch(`${c.url}/v1/accounts/${encodeURIComponent(`alice@${a.name}`)}`);
    expect(lookup.status).toBe(200);
    const entry = (await lookup.json()) as { accountId: string; handle: string };
    expect(entry).toMatchObject({ accountId: alice.profile.accountId, handle: `alice@${b.name}` });
    const taken = await fetch(`${a.url}/v1/handles/alice/availability`);
    expect(await taken.json()).toMatchObject({ handle: "alice", available: false });
    const old = await openNodeClient(join(home, "alice"), "123456");
    try {
      await expect(old.authenticate()).rejects.toMatchObject({ code: "VOLLY_E_UNKNOWN_DEVICE" });
    } finally {
      await old.close();
    }
  });
});

import { join } from "node:path";
import type { MessageRecord, VollyClient } from "@volly/client";
import { initNodeProfile, weriftPeerFactory } from "@volly/client/node";
import { sendRawDirectFrame } from "@volly/client/testing";
import { newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { TEST_KDF } from "../integration/helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";

/** A client with direct paths (werift, no LAN): signaling goes through the server. */
function directClient(home: string, serverUrl: string, handle: string): Promise<VollyClient> {
  return initNodeProfile(
    join(home, handle),
    { serverUrl, handle, pin: "123456", kdf: TEST_KDF },
    { initialBackoffMs: 50, maxBackoffMs: 300, direct: { peers: weriftPeerFactory() } },
  );
}

async function historyOf(client: VollyClient, conv: string): Promise<MessageRecord[]> {
  return client.messaging.history(conv, 100);
}

/**
 * Direct paths signaled through the server (issue 17), two Node clients on loopback against a real
 * `volly serve`: the WebRTC data channel opens after a `p2p.hello` and `p2p.sdp` exchange sealed in
 * MLS; a message then reaches the other device over it and through the server, is shown once, and
 * the log's copy is dropped by id without a decryption failure; with the server stopped, messages
 * still go direct, and once it is back each reaches the server's log once.
 */
describe("direct paths signaled through the server", () => {
  let server: ServerProcess;
  const home = tempDir("volly-direct-");
  let alice: VollyClient;
  let bob: VollyClient;
  let conv = "";

  beforeAll(async () => {
    server = await startServerProcess();
    alice = await directClient(home, server.url, "alice");
    bob = await directClient(home, server.url, "bob");
    await Promise.all([alice.connect(), bob.connect()]);
    conv = (await alice.resolveConversation("@bob")).id;
    const first = await alice.messaging.send(conv, "hello through the server");
    await waitFor(async () => (await historyOf(bob, conv)).some((m) => m.id === first.id), {
      message: "bob reads the conversation",
    });
  });

  afterAll(async () => {
    await alice?.close().catch(() => undefined);
    await bob?.close().catch(() => undefined);
    if (server?.child.exitCode === null) await server.stop();
  });

  it("opens a data channel after MLS-sealed signaling; each side names the other", async () => {
    expect(alice.direct.enabled).toBe(true);
    await alice.direct.offer(conv);
    await waitFor(
      () => alice.direct.connectedTo(bob.profile.deviceId) && bob.direct.connectedTo(alice.profile.deviceId),
      {
        message: "a direct path both ways",
      },
    );
    expect(alice.direct.peers()).toMatchObject([
      { deviceId: bob.profile.deviceId, accountId: bob.profile.accountId, handle: "bob", via: "server" },
    ]);
  });

  it("a message arrives over the direct path and from the server's log, is shown once, and decrypts once", async () => {
    const before = bob.direct.counts().received;
    const sent = await alice.messaging.send(conv, "hello, directly");
    await waitFor(
      async () => (await historyOf(bob, conv)).some((m) => m.id === sent.id && m.seq !== undefined),
      {
        message: "bob has the message with the log's seq",
      },
    );
    const copies = (await historyOf(bob, conv)).filter((m) => m.id === sent.id);
    expect(copies).toHaveLength(1);
    // it comes over the data channel too (which copy comes first is a race on one machine)
    await waitFor(() => bob.direct.counts().received > before, { message: "the copy over the data channel" });
    expect(await bob.messaging.undecryptable()).toEqual({});
  });

  it("garbage and frames naming a group the sender is not in are dropped; the path stays up", async () => {
    // alice's end of the data channel, as a peer that misbehaves would use it
    const raw = (text: string) => expect(sendRawDirectFrame(alice, bob.profile.deviceId, text)).toBe(true);
    const before = bob.direct.counts().dropped;
    raw("not json");
    raw(JSON.stringify({ t: "message", groupId: conv }));
    raw(JSON.stringify({ t: "typing", groupId: newId(), handle: "alice" }));
    await waitFor(() => bob.direct.counts().dropped >= before + 3, { message: "bob drops the three frames" });
    expect(bob.direct.connectedTo(alice.profile.deviceId)).toBe(true);
    const sent = await alice.messaging.send(conv, "still direct");
    await waitFor(async () => (await historyOf(bob, conv)).some((m) => m.id === sent.id), {
      message: "the next message arrives",
    });
    expect(await bob.messaging.undecryptable()).toEqual({});
  });

  it("with the server down the message goes direct; once it is back the log has it exactly once", async () => {
    const port = Number(new URL(server.url).port);
    await server.stop();
    await alice.messaging.send(conv, "the server is down").catch(() => undefined);
    // The send is queued (pending) even though the server cannot be reached.
    const isIt = (m: MessageRecord) => m.body.type === "text" && m.body.text === "the server is down";
    await waitFor(async () => (await historyOf(alice, conv)).some(isIt), {
      message: "alice's own record of the message",
    });
    const own = (await historyOf(alice, conv)).find(isIt);
    expect(own?.status).toBe("pending");
    await waitFor(async () => (await historyOf(bob, conv)).some((m) => m.id === own?.id), {
      message: "bob receives it directly while the server is down",
    });
    expect((await historyOf(bob, conv)).find((m) => m.id === own?.id)?.seq).toBeUndefined();
    server = await startServerProcess(server.dataDir, port);
    await waitFor(async () => (await historyOf(bob, conv)).find((m) => m.id === own?.id)?.seq !== undefined, {
      timeoutMs: 60_000,
      message: "the server's log entry reaches bob (its seq is adopted)",
    });
    expect((await historyOf(bob, conv)).filter((m) => m.id === own?.id)).toHaveLength(1);
    expect(await bob.messaging.undecryptable()).toEqual({});
  });
});

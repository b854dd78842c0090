import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { messageText } from "@volly/client";
import { dropConnection } from "@volly/client/testing";
import { newId } from "@volly/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { collect, newClient, reopenClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe("delivery against a real server process", () => {
  const servers: ServerProcess[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
  });

  it("the server never sees plaintext: not in its database, data dir or logs", async () => {
    const server = await startServerProcess();
    servers.push(server);
    const home = tempDir();
    const alice = await newClient(home, server.url, "alice");
    const bob = await newClient(home, server.url, "bob");
    await alice.connect();
    const inbox = collect(alice);
    const conv = await bob.invites.accept(alice.invites.create().link);
    const marker = `marker-${newId()}`;
    await bob.messaging.send(conv.id, `secret ${marker} text`);
    await waitFor(() => inbox.length === 1, { message: "alice to receive", timeoutMs: 20_000 });
    expect(inbox[0] && messageText(inbox[0])).toBe(`secret ${marker} text`);
    await Promise.all([alice.close(), bob.close()]);
    expect(await server.stop(), "SIGTERM drains and exits cleanly").toBe(0);
    const files = filesUnder(server.dataDir);
    expect(files.some((f) => f.endsWith("volly.db"))).toBe(true);
    for (const f of files) {
      expect(readFileSync(f).includes(Buffer.from(marker)), `${f} contains the plaintext`).toBe(false);
    }
    expect(server.output()).not.toContain(marker);
    expect(server.output()).toContain("listening");
  });

  it("an acknowledged message survives kill -9 of the server and reaches an offline recipient", async () => {
    const dataDir = tempDir();
    const first = await startServerProcess(dataDir);
    servers.push(first);
    const home = tempDir();
    const alice = await newClient(home, first.url, "alice");
    const bob = await newClient(home, first.url, "bob");
    const conv = await bob.invites.accept(alice.invites.create().link);
    await alice.close();
    const sent = await bob.messaging.send(conv.id, "written before the crash");
    expect(sent.status).toBe("sent");
    await first.kill9();
    const port = Number(new URL(first.url).port);
    const second = await startServerProcess(dataDir, port);
    servers.push(second);
    const aliceAgain = await reopenClient(home, "alice");
    const inbox = collect(aliceAgain);
    await aliceAgain.connect();
    await waitFor(() => inbox.length === 1, { message: "delivery after restart", timeoutMs: 20_000 });
    expect(inbox.map((m) => messageText(m))).toEqual(["written before the crash"]);
    await Promise.all([aliceAgain.close(), bob.close()]);
  });

  it("connections dropped mid-stream reconnect and every message arrives once, in order", async () => {
    const server = await startServerProcess();
    servers.push(server);
    const home = tempDir();
    const alice = await newClient(home, server.url, "alice");
    const bob = await newClient(home, server.url, "bob");
    const inbox = collect(alice);
    await alice.connect();
    const conv = await bob.invites.accept(alice.invites.create().link);
    const texts = Array.from({ length: 40 }, (_, i) => `message ${i}`);
    for (const [i, text] of texts.entries()) {
      await bob.messaging.send(conv.id, text);
      if (i % 10 === 5) dropConnection(alice);
    }
    await waitFor(() => inbox.length >= texts.length, { message: "all messages", timeoutMs: 30_000 });
    // A barrier instead of a pause: the group's log is delivered in order, so once a last message
    // arrives, a duplicate of any earlier one would have arrived before it.
    await bob.messaging.send(conv.id, "the end");
    await waitFor(() => inbox.some((m) => messageText(m) === "the end"), {
      message: "the last message",
      timeoutMs: 30_000,
    });
    expect(inbox.map((m) => messageText(m))).toEqual([...texts, "the end"]);
    const stored = await alice.messaging.history(conv.id, 1000);
    expect(stored.map((m) => messageText(m))).toEqual([...texts, "the end"]);
    expect(await alice.messaging.undecryptable()).toEqual({});
    await Promise.all([alice.close(), bob.close()]);
  });

  it("messages written while the server is down wait in the outbox and are sent on reconnect, once", async () => {
    const dataDir = tempDir();
    const first = await startServerProcess(dataDir);
    servers.push(first);
    const home = tempDir();
    const alice = await newClient(home, first.url, "alice");
    const bob = await newClient(home, first.url, "bob");
    const conv = await bob.invites.accept(alice.invites.create().link);
    await first.stop();
    await expect(bob.messaging.send(conv.id, "queued while offline")).rejects.toMatchObject({
      code: "VOLLY_E_SERVER_UNREACHABLE",
    });
    expect(await bob.messaging.pendingCount()).toBe(1);
    const second = await startServerProcess(dataDir, Number(new URL(first.url).port));
    servers.push(second);
    await bob.connect();
    await waitFor(async () => (await bob.messaging.pendingCount()) === 0, {
      message: "outbox flush",
      timeoutMs: 20_000,
    });
    const inbox = collect(alice);
    await alice.connect();
    await waitFor(() => inbox.length === 1, { message: "delivery", timeoutMs: 20_000 });
    await bob.messaging.send(conv.id, "back online"); // the barrier: a duplicate would come before it
    await waitFor(() => inbox.some((m) => messageText(m) === "back online"), {
      message: "the next message",
      timeoutMs: 20_000,
    });
    expect(inbox.map((m) => messageText(m))).toEqual(["queued while offline", "back online"]);
    await Promise.all([alice.close(), bob.close()]);
  });
});

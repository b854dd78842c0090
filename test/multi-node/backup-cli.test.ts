import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { messageText } from "@volly/client";
import { openNodeClient } from "@volly/client/node";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import { clusterClient, collect } from "./helpers/clients.js";
import { type NodeProcess, runVolly, scratchDir, startNodeProcess } from "./helpers/node-process.js";

describe("`volly backup` and `volly migrate` on the embedded store, restored into a fresh server", () => {
  const nodes: NodeProcess[] = [];
  afterAll(async () => {
    for (const n of nodes) await n.stop();
  });

  it("backs up while the server runs; a fresh server on the copy delivers the messages, decrypted", async () => {
    const first = await startNodeProcess({});
    nodes.push(first);
    const home = scratchDir("volly-backup-home-");
    const alice = await clusterClient(home, "alice", [first.url]);
    const bob = await clusterClient(home, "bob", [first.url]);
    const conversation = await alice.resolveConversation("@bob");
    await bob.close(); // offline: the messages wait in the store
    const texts = Array.from({ length: 10 }, (_, i) => `before the backup ${i}`);
    for (const text of texts) await alice.messaging.send(conversation.id, text);
    await alice.close();

    const file = join(scratchDir("volly-backup-out-"), "volly.backup");
    const backup = await runVolly(["backup", file, "--data", first.dataDir, "--json"]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({ file, source: join(first.dataDir, "volly.db") });
    expect((await runVolly(["backup", file, "--data", first.dataDir])).code).toBe(2); // never overwrites

    await first.kill9(); // the original is gone; only the backup is left
    const restoredDir = scratchDir("volly-restored-");
    mkdirSync(restoredDir, { recursive: true });
    copyFileSync(file, join(restoredDir, "volly.db"));
    const migrate = await runVolly(["migrate", "--data", restoredDir, "--json"]);
    expect([migrate.code, JSON.parse(migrate.stdout).applied]).toEqual([0, []]);
    const restored = await startNodeProcess(
      {},
      { dataDir: restoredDir, port: Number(new URL(first.url).port) },
    );
    nodes.push(restored);
    const bobAgain = await openNodeClient(join(home, "bob"), "123456", {
      initialBackoffMs: 50,
      maxBackoffMs: 500,
    });
    const inbox = collect(bobAgain);
    try {
      await bobAgain.connect();
      await waitFor(() => inbox.length >= texts.length, {
        message: "bob to receive the restored messages",
        timeoutMs: 20_000,
      });
      expect(inbox.map((m) => messageText(m))).toEqual(texts);
      expect(await bobAgain.messaging.undecryptable()).toEqual({});
    } finally {
      await bobAgain.close();
    }
  });

  it("`volly backup` with VOLLY_DATABASE_URL points to pg_dump and exits with the usage code", async () => {
    const run = await runVolly(["backup", join(scratchDir("volly-backup-pg-"), "x.db")], {
      VOLLY_DATABASE_URL: "postgres://volly@127.0.0.1:1/volly",
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/VOLLY_E_USAGE: The PostgreSQL store is backed up with pg_dump/);
  });
});

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * The CLI with its server stopped, then started again on the same port and data: `send` fails
 * without keeping anything, `send --queue` keeps the message for the next command that connects,
 * and the listing commands fall back to the stored lists with a warning — real server, real CLI.
 */
describe("the CLI while the server is unreachable", () => {
  let server: ServerProcess;
  const dataDir = tempDir("volly-cli-offline-data-");
  const home = tempDir("volly-cli-offline-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456"];
  let directId = "";
  let groupId = "";

  /** alice's outbox size as `volly status --json` reports it. */
  async function aliceOutbox(): Promise<unknown> {
    const status = await runVolly([...as("alice"), "--json", "status"]);
    expect(status.code, status.stderr).toBe(0);
    return jsonLines(status.stdout)[0]?.outbox;
  }

  beforeAll(async () => {
    server = await startServerProcess(dataDir);
    await Promise.all(
      ["alice", "bob"].map(async (handle) => {
        const r = await runVolly([...as(handle), "init", "--server", server.url, "--handle", handle]);
        expect(r.code, r.stderr).toBe(0);
      }),
    );
    const invite = await runVolly([...as("alice"), "invite"]);
    const accepted = await runVolly([...as("bob"), "--json", "accept", invite.stdout.trim()]);
    expect(accepted.code, accepted.stderr).toBe(0);
    directId = (jsonLines(accepted.stdout)[0] as { conversationId: string }).conversationId;
    const created = await runVolly([...as("alice"), "group", "create", "Weekend trip", "--member", "@bob"]);
    expect(created.code, created.stderr).toBe(0);
    groupId = created.stdout.trim();
    // alice's device learns the direct conversation bob opened.
    expect((await runVolly([...as("alice"), "receive"])).code).toBe(0);
    await server.stop();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("send: exit 5 and nothing kept by default; --queue keeps it in the outbox and exits 0", async () => {
    const lost = await runVolly([...as("alice"), "send", "@bob", "lost"]);
    expect(lost.code).toBe(5);
    expect(lost.stdout).toBe("");
    expect(lost.stderr).toMatch(/^error VOLLY_E_SERVER_UNREACHABLE: not sent: server unreachable \(/);
    expect(lost.stderr).toContain("pass --queue");
    expect(await aliceOutbox()).toBe(0);

    const kept = await runVolly([...as("alice"), "send", "--queue", "@bob", "kept"]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toMatch(/^queued [A-Za-z0-9_-]{22}: the server cannot be reached; the next command/);
    const keptJson = await runVolly([...as("alice"), "--json", "send", "--queue", directId, "kept too"]);
    expect(keptJson.code, keptJson.stderr).toBe(0);
    expect(jsonLines(keptJson.stdout)).toEqual([
      { id: expect.any(String), conversationId: directId, sentAt: expect.any(Number), queued: true },
    ]);
    expect(await aliceOutbox()).toBe(2);

    // Offline there is nothing to queue into without a conversation.
    const stranger = await runVolly([...as("alice"), "send", "--queue", "@carol", "hi"]);
    expect(stranger.code).toBe(5);
    expect(stranger.stderr).toContain("no conversation with @carol yet");
  });

  it("conversations and groups list what the device stored, and say so on stderr", async () => {
    const list = await runVolly([...as("alice"), "conversations"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toBe(`${directId}  direct  bob\n${groupId}  group  Weekend trip\n`);
    expect(list.stderr).toMatch(/^\(offline, showing what this device has stored: Cannot reach /);
    const groups = await runVolly([...as("alice"), "--json", "groups"]);
    expect(groups.code, groups.stderr).toBe(0);
    expect(jsonLines(groups.stdout)).toEqual([
      { id: groupId, name: "Weekend trip", members: ["bob"], memberTypes: { bob: "human" }, left: false },
    ]);
    expect(JSON.parse(groups.stderr)).toEqual({
      warning: { code: "VOLLY_E_SERVER_UNREACHABLE", message: expect.stringContaining("offline") },
    });
  });

  it("a membership change says it waits for the server (exit 5), and changes nothing", async () => {
    const add = await runVolly([...as("alice"), "group", "add", groupId, "@carol"]);
    expect(add.code).toBe(5);
    expect(add.stdout).toBe("");
    expect(add.stderr).toMatch(
      /^error VOLLY_E_SERVER_UNREACHABLE: The server cannot be reached: membership changes wait/,
    );
    expect(add.stderr).toContain("linked directly");
    const groups = await runVolly([...as("alice"), "--json", "groups"]);
    expect(jsonLines(groups.stdout)[0]).toMatchObject({ id: groupId, members: ["bob"] });
  });

  it("the next command that connects sends the queued messages, once", async () => {
    server = await startServerProcess(dataDir, Number(new URL(server.url).port));
    const receive = await runVolly([...as("alice"), "receive"]);
    expect(receive.code, receive.stderr).toBe(0);
    expect(await aliceOutbox()).toBe(0);
    const bob = await runVolly([...as("bob"), "--json", "receive"]);
    expect(bob.code, bob.stderr).toBe(0);
    // first, who added bob to the group (a membership event), then the messages kept while offline
    expect(jsonLines(bob.stdout).map((m) => m.text ?? `${m.by} ${m.change}`)).toEqual([
      "alice joined",
      "kept",
      "kept too",
    ]);
    const online = await runVolly([...as("alice"), "conversations"]);
    expect(online.stderr).toBe("");
  });
});

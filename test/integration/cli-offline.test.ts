import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess, tempDir } from "./helpers/server-process.js";

/**
 * The CLI with its server stopped: the listing commands fall back to the stored lists with a
 * warning — real server, real CLI.
 */
describe("the CLI while the server is unreachable", () => {
  let server: ServerProcess;
  const dataDir = tempDir("volly-cli-offline-data-");
  const home = tempDir("volly-cli-offline-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456"];
  let directId = "";
  let groupId = "";

  beforeAll(async () => {
    server = await startServerProcess(dataDir);
    for (const handle of ["alice", "bob"]) {
      const r = await runVolly([...as(handle), "init", "--server", server.url, "--handle", handle]);
      expect(r.code, r.stderr).toBe(0);
    }
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

  it("conversations and groups list what the device stored, and say so on stderr", async () => {
    const list = await runVolly([...as("alice"), "conversations"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toBe(`${directId}  direct  bob\n${groupId}  group  Weekend trip\n`);
    expect(list.stderr).toMatch(/^\(offline, showing what this device has stored: Cannot reach /);
    const groups = await runVolly([...as("alice"), "--json", "groups"]);
    expect(groups.code, groups.stderr).toBe(0);
    expect(jsonLines(groups.stdout)).toEqual([
      { id: groupId, name: "Weekend trip", members: ["bob"], left: false },
    ]);
    expect(JSON.parse(groups.stderr)).toEqual({
      warning: { code: "VOLLY_E_SERVER_UNREACHABLE", message: expect.stringContaining("offline") },
    });
  });
});

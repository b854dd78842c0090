import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * `volly group add`, `group rename` and `group leave` through the real CLI against a real server
 * process. The tests run in order on one group: alice creates it with bob, adds carol, renames it,
 * and carol leaves.
 */
describe("group membership through the CLI", () => {
  let server: ServerProcess;
  let conversationId = "";
  const home = tempDir("volly-cli-members-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];
  /** Runs `volly <handle> receive --json` and returns the texts it printed. */
  const receiveTexts = async (handle: string) => {
    const r = await runVolly([...as(handle), "receive"]);
    expect(r.code, r.stderr).toBe(0);
    return jsonLines(r.stdout).map((m) => `${m.from}: ${m.text}`);
  };

  beforeAll(async () => {
    server = await startServerProcess();
    for (const handle of ["alice", "bob", "carol"]) {
      const r = await runVolly([...as(handle), "init", "--server", server.url, "--handle", handle]);
      expect(r.code, r.stderr).toBe(0);
    }
    const created = await runVolly([...as("alice"), "group", "create", "Team", "--member", "@bob"]);
    expect(created.code, created.stderr).toBe(0);
    conversationId = (jsonLines(created.stdout)[0] as { conversationId: string }).conversationId;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("group add: the added person reads what is sent afterwards, not what was sent before", async () => {
    expect((await runVolly([...as("alice"), "send", conversationId, "before carol"])).code).toBe(0);
    const added = await runVolly([...as("alice"), "group", "add", conversationId, "@carol"]);
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    expect(jsonLines(added.stdout)).toEqual([{ conversationId, added: ["@carol"] }]);

    expect((await runVolly([...as("alice"), "send", conversationId, "welcome carol"])).code).toBe(0);
    expect(await receiveTexts("carol")).toEqual(["alice: welcome carol"]);
    expect(await receiveTexts("bob")).toEqual(["alice: before carol", "alice: welcome carol"]);

    const noAt = await runVolly([...as("alice"), "group", "add", conversationId, "carol"]);
    expect(noAt.code).toBe(2);
    expect(JSON.parse(noAt.stderr).error.code).toBe("VOLLY_E_USAGE");
    const nobody = await runVolly([...as("alice"), "group", "add", conversationId, "@nobody"]);
    expect(nobody.code).toBe(4);
    expect(JSON.parse(nobody.stderr).error.code).toBe("VOLLY_E_UNKNOWN_HANDLE");
  });

  it("group rename: the other members see the new name in volly groups --json", async () => {
    const renamed = await runVolly([...as("alice"), "group", "rename", conversationId, "Crew"]);
    expect(renamed.stderr).toBe("");
    expect(renamed.code).toBe(0);
    expect(jsonLines(renamed.stdout)).toEqual([{ conversationId, name: "Crew" }]);
    // A rename prints nothing in `receive`; `groups` (which syncs first) shows the new name.
    for (const handle of ["bob", "carol"]) {
      expect(await receiveTexts(handle)).toEqual([]);
      const groups = await runVolly([...as(handle), "groups"]);
      expect(groups.code).toBe(0);
      expect(jsonLines(groups.stdout)).toEqual([
        expect.objectContaining({ id: conversationId, name: "Crew", left: false }),
      ]);
    }

    const empty = await runVolly([...as("alice"), "group", "rename", conversationId, "  "]);
    expect(empty.code).toBe(2);
    expect(JSON.parse(empty.stderr).error.code).toBe("VOLLY_E_USAGE");
  });

  it("group leave: the leaver gets nothing more; the others go on", async () => {
    const left = await runVolly([...as("carol"), "group", "leave", conversationId]);
    expect(left.stderr).toBe("");
    expect(left.code).toBe(0);
    expect(jsonLines(left.stdout)).toEqual([{ conversationId, left: true }]);

    expect((await runVolly([...as("alice"), "send", conversationId, "carol has left"])).code).toBe(0);
    expect((await runVolly([...as("bob"), "send", conversationId, "still here"])).code).toBe(0);
    expect(await receiveTexts("bob")).toEqual(["alice: carol has left"]);
    expect(await receiveTexts("alice")).toEqual(["bob: still here"]);
    expect(await receiveTexts("carol")).toEqual([]);

    const carolGroups = await runVolly([...as("carol"), "groups"]);
    expect(jsonLines(carolGroups.stdout)).toEqual([
      expect.objectContaining({ id: conversationId, left: true }),
    ]);
    const aliceGroups = await runVolly([...as("alice"), "groups"]);
    expect(jsonLines(aliceGroups.stdout)[0]).toMatchObject({ id: conversationId, left: false });

    const unknown = await runVolly([...as("carol"), "group", "leave", "AAAAAAAAAAAAAAAAAAAAAA"]);
    expect(unknown.code).toBe(4);
    expect(JSON.parse(unknown.stderr).error.code).toBe("VOLLY_E_UNKNOWN_CONVERSATION");
  });
});

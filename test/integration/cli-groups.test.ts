import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/** Group conversations through the real CLI against a real server process. */
describe("groups through the CLI", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-groups-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "bob", "carol"].map(async (handle) => {
        const r = await runVolly([...as(handle), "init", "--server", server.url, "--handle", handle]);
        expect(r.code, r.stderr).toBe(0);
      }),
    );
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("create, send and receive by conversation id, list, remove: the removed member reads nothing new", async () => {
    const created = await runVolly([
      ...as("alice"),
      "group",
      "create",
      "Team",
      "--member",
      "@bob",
      "--member",
      "@carol",
    ]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const { conversationId } = jsonLines(created.stdout)[0] as { conversationId: string };
    expect(conversationId).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const sent = await runVolly([...as("bob"), "send", conversationId, "hi team"]);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const aliceGot = await runVolly([...as("alice"), "receive"]);
    expect(aliceGot.code).toBe(0);
    expect(jsonLines(aliceGot.stdout)).toEqual([
      expect.objectContaining({ conversationId, from: "bob", text: "hi team" }),
    ]);
    // carol also learns who added her (a membership event), before bob's message
    const carolGot = await runVolly([...as("carol"), "receive"]);
    expect(carolGot.code).toBe(0);
    expect(jsonLines(carolGot.stdout)).toEqual([
      expect.objectContaining({ event: "membership", conversationId, change: "joined", by: "alice" }),
      expect.objectContaining({ conversationId, from: "bob", text: "hi team" }),
    ]);

    const groups = await runVolly([...as("carol"), "groups"]);
    expect(jsonLines(groups.stdout)).toEqual([
      expect.objectContaining({
        id: conversationId,
        name: "Team",
        left: false,
        members: expect.arrayContaining(["alice", "bob"]),
      }),
    ]);

    const removed = await runVolly([...as("alice"), "group", "remove", conversationId, "@carol"]);
    expect(removed.stderr).toBe("");
    expect(removed.code).toBe(0);
    // bob has not received anything since: `groups` syncs first, so it lists the group as it is now.
    const bobGroups = await runVolly([...as("bob"), "groups"]);
    expect(bobGroups.code, bobGroups.stderr).toBe(0);
    expect(bobGroups.stderr).toBe("");
    expect(jsonLines(bobGroups.stdout)).toEqual([
      { id: conversationId, name: "Team", members: ["alice"], memberTypes: { alice: "human" }, left: false },
    ]);
    const after = await runVolly([...as("alice"), "send", conversationId, "carol is gone"]);
    expect(after.code).toBe(0);
    const bob = await runVolly([...as("bob"), "receive"]);
    expect(jsonLines(bob.stdout).map((m) => m.text ?? `${m.by} ${m.change} ${m.members}`)).toEqual([
      "alice joined bob",
      "alice removed carol",
      "carol is gone",
    ]);
    // carol reads nothing sent after her removal, only that alice removed her
    const carol = await runVolly([...as("carol"), "receive"]);
    expect(jsonLines(carol.stdout)).toEqual([
      expect.objectContaining({ event: "membership", change: "removed", by: "alice", members: ["carol"] }),
    ]);
    const carolGroups = await runVolly([...as("carol"), "groups"]);
    expect(jsonLines(carolGroups.stdout)[0]).toMatchObject({ id: conversationId, left: true });
    // In words: no member count for a group carol is no longer in (her list stopped at her removal).
    const carolText = await runVolly(["--profile", join(home, "carol"), "--pin", "123456", "groups"]);
    expect(carolText.stdout).toBe(`${conversationId}  Team  (no longer a member)\n`);
    const aliceText = await runVolly(["--profile", join(home, "alice"), "--pin", "123456", "groups"]);
    expect(aliceText.stdout).toBe(`${conversationId}  Team  (2 members)\n`);
    const carolSend = await runVolly([...as("carol"), "send", conversationId, "let me in"]);
    expect(carolSend.code).not.toBe(0);
  });

  it("rejects a member without @ and an unknown conversation with typed errors", async () => {
    const noAt = await runVolly([...as("alice"), "group", "create", "X", "--member", "bob"]);
    expect(noAt.code).toBe(2);
    expect(JSON.parse(noAt.stderr).error.code).toBe("VOLLY_E_USAGE");
    const unknown = await runVolly([...as("alice"), "group", "add", "AAAAAAAAAAAAAAAAAAAAAA", "@bob"]);
    expect(unknown.code).toBe(4);
    expect(JSON.parse(unknown.stderr).error.code).toBe("VOLLY_E_UNKNOWN_CONVERSATION");
  });
});

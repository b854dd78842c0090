import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { type CliResult, jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * Entity types through the real CLI against a real `volly serve` process: a bot account (`init
 * --type bot`) is reached like a person — by its invite link, added to a group, invited to a
 * community — and its messages and memberships say what it is (`echo [bot]`, `fromType: "bot"`).
 */
describe("a bot account through the CLI", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-entity-types-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456"];
  const ok = async (handle: string, ...args: string[]): Promise<CliResult> => {
    const r = await runVolly([...as(handle), ...args]);
    expect(r.code, `${handle} ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return r;
  };
  const json = async (handle: string, ...args: string[]) =>
    jsonLines((await ok(handle, "--json", ...args)).stdout);
  let groupId = "";

  beforeAll(async () => {
    server = await startServerProcess();
    await ok("alice", "init", "--server", server.url, "--handle", "alice");
    await ok("echo", "init", "--server", server.url, "--handle", "echo", "--type", "bot");
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("a person DMs the bot from its invite link and adds it to a group, as for anyone", async () => {
    const link = (await ok("echo", "invite")).stdout.trim();
    await ok("alice", "accept", link);
    groupId = (await ok("alice", "group", "create", "Ops", "--member", "@echo")).stdout.trim();
    const [group] = await json("alice", "groups");
    expect(group).toMatchObject({ id: groupId, members: ["echo"], memberTypes: { echo: "bot" } });
    const listed = (await ok("alice", "groups")).stdout.trim();
    expect(listed).toBe(`${groupId}  Ops  (2 members)  echo [bot]`);
  });

  it("receive marks the bot's messages: `echo [bot]:` on lines, fromType in --json", async () => {
    await ok("echo", "receive");
    await ok("echo", "send", groupId, "hi");
    await ok("echo", "send", "@alice", "hello");
    const lines = (await ok("alice", "receive")).stdout
      .split("\n")
      .filter((l) => !/ (joined|added) /.test(l));
    expect(lines.filter(Boolean)).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d\] \[Ops\] echo \[bot\]: hi$/),
      expect.stringMatching(/^\[\d\d:\d\d\] \[@echo\] echo \[bot\]: hello$/),
    ]);

    await ok("echo", "send", groupId, "again");
    await ok("alice", "send", groupId, "thanks");
    const received = (await json("alice", "receive")).filter((m) => m.type === "message");
    expect(received).toEqual([
      expect.objectContaining({ conversationId: groupId, from: "echo", fromType: "bot", text: "again" }),
    ]);
    const botSide = (await json("echo", "receive")).filter((m) => m.type === "message");
    expect(botSide).toEqual([
      expect.objectContaining({ conversationId: groupId, from: "alice", fromType: "human", text: "thanks" }),
    ]);
  });

  it("the bot joins a community from an invite like a person; its member entry says bot", async () => {
    const [{ communityId }] = (await json("alice", "community", "create", "Lab")) as [
      { communityId: string },
    ];
    const [{ link }] = (await json("alice", "community", "invite", communityId)) as [{ link: string }];
    expect(await json("echo", "community", "join", link)).toEqual([expect.objectContaining({ communityId })]);
    const [shown] = (await json("alice", "community", "show", communityId)) as [
      { members: Array<{ handle: string; entityType?: string }> },
    ];
    expect(shown.members.map((m) => [m.handle, m.entityType]).sort()).toEqual([
      ["alice", "human"],
      ["echo", "bot"],
    ]);
    const outline = (await ok("alice", "community", "show", communityId)).stdout;
    expect(outline).toMatch(/^ {2}@echo \[bot\] {2}/m);
    expect(outline).toMatch(/^ {2}@alice {2}/m);
  });
});

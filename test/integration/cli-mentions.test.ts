import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { type CliResult, jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * Mentions end to end (real `volly serve` process, real CLI, two accounts in a community channel):
 * an `@handle` mention reaches the mentioned account as `mentionsMe` and is counted apart from the
 * unread count; `@everyone` is refused by the server without MENTION_EVERYONE and accepted once a
 * role grants it.
 */
describe("mentions through the CLI", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-mentions-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];
  const run = (handle: string, ...args: string[]) => runVolly([...as(handle), ...args]);
  const ok = async (handle: string, ...args: string[]): Promise<Array<Record<string, unknown>>> => {
    const r: CliResult = await run(handle, ...args);
    expect(r.code, `${handle} ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return jsonLines(r.stdout);
  };

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(["owner", "ann"].map((h) => ok(h, "init", "--server", server.url, "--handle", h)));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("@handle is counted apart; @everyone needs MENTION_EVERYONE at the server", async () => {
    const [{ communityId }] = (await ok("owner", "community", "create", "Guild")) as [
      { communityId: string },
    ];
    const [{ link }] = (await ok("owner", "community", "invite", communityId)) as [{ link: string }];
    await ok("ann", "community", "join", link);
    const [shown] = (await ok("owner", "community", "show", communityId)) as [
      { channels: Array<{ name: string; channelId: string }> },
    ];
    const general = shown.channels.find((c) => c.name === "general")?.channelId as string;
    // the owner processes ann's join before anything is sent
    await ok("owner", "receive");

    // no MENTION_EVERYONE: the server refuses the declared @everyone (exit 6, VOLLY_E_FORBIDDEN)
    const refused = await run("ann", "send", general, "@everyone look");
    expect(refused.code, refused.stderr).toBe(6);
    expect(refused.stderr).toContain("MENTION_EVERYONE");

    await ok("ann", "send", general, "plain hello");
    await ok("ann", "send", general, "hey @owner, look");
    const got = (await ok("owner", "receive")).filter((m) => m.channelId === general);
    expect(got.map((m) => [m.text, m.mentions, m.mentionsMe])).toEqual([
      ["plain hello", [], undefined],
      ["hey @owner, look", ["owner"], true],
    ]);
    const listed = (await ok("owner", "conversations")).find((c) => c.title === "#general");
    expect(listed).toMatchObject({ unread: 2, unreadMentions: 1 });

    // a role with MENTION_EVERYONE: the same @everyone is accepted and mentions the owner
    const [{ roleId }] = (await ok(
      "owner",
      "role",
      "create",
      communityId,
      "announcer",
      "--permissions",
      "MENTION_EVERYONE",
    )) as [{ roleId: string }];
    await ok("owner", "role", "assign", communityId, roleId, "@ann");
    await ok("ann", "send", general, "@everyone look");
    const after = (await ok("owner", "receive")).filter((m) => m.channelId === general);
    expect(after.map((m) => [m.text, m.mentions, m.mentionsMe])).toEqual([["@everyone look", [], true]]);
    expect((await ok("owner", "conversations")).find((c) => c.title === "#general")).toMatchObject({
      unread: 3,
      unreadMentions: 2,
    });
  }, 300_000);
});

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type CliResult, jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * A community through the real CLI against a real `volly serve` process (DESIGN.md "Communities, on
 * MLS"): roles and overwrites decide who is in a private channel's MLS group, moderation removes
 * members and is logged, and a timed-out member's sends are refused until the timeout ends.
 */
describe("communities through the CLI", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-communities-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];
  const ok = async (handle: string, ...args: string[]): Promise<CliResult> => {
    const r = await runVolly([...as(handle), ...args]);
    expect(r.code, `${handle} ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return r;
  };
  const single = async (handle: string, ...args: string[]) =>
    jsonLines((await ok(handle, ...args)).stdout)[0] as Record<string, unknown>;
  /** What `volly receive --json` prints for `handle` from one channel. */
  const receivedIn = async (handle: string, channelId: string) =>
    jsonLines((await ok(handle, "receive")).stdout).filter((m) => m.channelId === channelId);

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["owner", "ann", "ben", "cat"].map((h) => ok(h, "init", "--server", server.url, "--handle", h)),
    );
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("invite, private channel by role, kick, ban and timeout", async () => {
    const { communityId } = (await single("owner", "community", "create", "Guild")) as {
      communityId: string;
    };
    const { channelId: mods } = (await single(
      "owner",
      "channel",
      "create",
      communityId,
      "mods",
      "--private",
      "--category",
      "Staff",
    )) as { channelId: string };
    const { roleId } = (await single(
      "owner",
      "role",
      "create",
      communityId,
      "moderator",
      "--permissions",
      "VIEW_CHANNEL,SEND_MESSAGES",
    )) as { roleId: string };
    await ok("owner", "channel", "allow", mods, "--role", "moderator", "VIEW_CHANNEL,SEND_MESSAGES");
    const { link } = (await single("owner", "community", "invite", communityId, "--expires", "1h")) as {
      link: string;
    };
    expect(link).toMatch(/^volly-community:http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{16,32}$/);
    for (const h of ["ann", "ben", "cat"]) {
      expect(await single(h, "community", "join", link)).toMatchObject({ communityId });
    }
    const shown = (await single("owner", "community", "show", communityId)) as {
      channels: Array<{ name: string; type: string; channelId: string; parentId?: string }>;
      members: Array<{ handle: string; roleIds: string[] }>;
    };
    const staff = shown.channels.find((c) => c.name === "Staff");
    expect(staff?.type).toBe("category");
    expect(shown.channels.find((c) => c.channelId === mods)?.parentId).toBe(staff?.channelId);
    expect(shown.members.map((m) => m.handle).sort()).toEqual(["ann", "ben", "cat", "owner"]);

    // without the role, ann sees nothing of #mods
    await ok("owner", "send", mods, "before ann");
    expect(await receivedIn("ann", mods)).toEqual([]);
    const annView = (await single("ann", "community", "show", communityId)) as {
      channels: Array<{ channelId: string }>;
    };
    expect(annView.channels.map((c) => c.channelId)).not.toContain(mods);

    // the role lets her in: her next command joins the channel's group by external commit
    await ok("owner", "role", "assign", communityId, roleId, "@ann");
    expect(await receivedIn("ann", mods)).toEqual([]);
    await ok("owner", "send", mods, "welcome ann");
    expect(await receivedIn("ann", mods)).toEqual([
      expect.objectContaining({ from: "owner", text: "welcome ann", communityId, channelId: mods }),
    ]);
    // and she was given what #mods held before (its policy: the last 30 days), shared by the
    // owner's device when it processed her join; `chat` shows where her history starts
    const chat = await runVolly([...as("ann"), "chat", mods, "--history", "10"]);
    expect(chat.code, chat.stderr).toBe(0);
    expect(jsonLines(chat.stdout).map((m) => [m.from, m.text, m.sharedBy])).toEqual([
      ["owner", "before ann", "owner"],
      ["owner", "welcome ann", undefined],
    ]);
    const listed = jsonLines((await ok("ann", "conversations")).stdout).find((c) => c.title === "#mods");
    expect(listed?.historyStart).toMatchObject({
      policy: { kind: "days", days: 30 },
      sharedBy: "owner",
      messages: 1,
    });
    const plain = await runVolly(["--profile", join(home, "ann"), "--pin", "123456", "chat", mods]);
    expect(plain.stderr).toMatch(/History from \d{4}-\d{2}-\d{2}, shared by @owner/);
    expect(plain.stdout).toMatch(/owner: before ann {2}\(shared by @owner\)/);

    // taking the role away cuts her off: nothing sent afterwards reaches her
    await ok("owner", "role", "unassign", communityId, roleId, "@ann");
    await ok("owner", "send", mods, "ann is gone");
    expect(await receivedIn("ann", mods)).toEqual([]);
    const cutOff = await runVolly([...as("ann"), "send", mods, "still here?"]);
    expect(cutOff.code).toBe(6);
    expect(cutOff.stderr).toContain("VOLLY_E_NOT_GROUP_MEMBER");

    // kick and ban, in the audit log with their reasons; a banned account cannot rejoin
    await ok("owner", "community", "kick", communityId, "@ben", "--reason", "rude");
    await ok("owner", "community", "ban", communityId, "@cat", "--reason", "spam");
    const log = jsonLines((await ok("owner", "community", "audit-log", communityId)).stdout);
    expect(log.slice(0, 2).map((e) => [e.action, e.reason])).toEqual([
      ["member.ban", "spam"],
      ["member.kick", "rude"],
    ]);
    const rejoin = await runVolly([...as("cat"), "community", "join", link]);
    expect(rejoin.code).toBe(6);
    expect(rejoin.stderr).toContain("VOLLY_E_BANNED");

    // a timed-out member's sends are refused (exit 6, VOLLY_E_FORBIDDEN) until the timeout ends
    const general = shown.channels.find((c) => c.name === "general")?.channelId as string;
    const { timedOutUntil } = (await single(
      "owner",
      "community",
      "timeout",
      communityId,
      "@ann",
      "--for",
      "10s",
    )) as {
      timedOutUntil: number;
    };
    const refused = await runVolly([...as("ann"), "send", general, "let me talk"]);
    expect(refused.code).toBe(6);
    expect(JSON.parse(refused.stderr.trim())).toMatchObject({
      error: { code: "VOLLY_E_FORBIDDEN", details: { permission: "SEND_MESSAGES" } },
    });
    // Each try is a CLI process: none before the timeout's end, when the server still refuses.
    await waitFor(() => Date.now() >= timedOutUntil, {
      timeoutMs: 20_000,
      intervalMs: 100,
      message: "the timeout's end",
    });
    await waitFor(async () => (await runVolly([...as("ann"), "send", general, "I'm back"])).code === 0, {
      timeoutMs: 20_000,
      intervalMs: 500,
      message: "ann may send again",
    });
    expect(await receivedIn("owner", general)).toEqual([
      expect.objectContaining({ from: "ann", text: "I'm back", channelId: general }),
    ]);
  }, 240_000);
});

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * `volly notify CONV [--level …] [--mute …] [--unmute] [--community]` against a real `volly serve`
 * process: levels and mutes are stored in the account's settings and read back by a later run.
 */
describe("volly notify", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-notify-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];

  async function ok(handle: string, ...args: string[]): Promise<Array<Record<string, unknown>>> {
    const r = await runVolly([...as(handle), ...args]);
    expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    return jsonLines(r.stdout);
  }

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "bob"].map((handle) => ok(handle, "init", "--server", server.url, "--handle", handle)),
    );
    const invite = await ok("alice", "invite");
    await ok("bob", "accept", String(invite[0]?.link));
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("sets a level and a mute, reads them back, unmutes and returns to the default", async () => {
    const [shown] = await ok("bob", "notify", "@alice");
    const conversationId = String(shown?.conversationId);
    expect(shown).toEqual({ conversationId });

    const before = Date.now();
    const [set] = await ok("bob", "notify", "@alice", "--level", "mentions", "--mute", "8h");
    expect(set).toMatchObject({ conversationId, level: "mentions" });
    expect(Number(set?.mutedUntil)).toBeGreaterThanOrEqual(before + 8 * 3_600_000);
    expect((await ok("bob", "notify", conversationId))[0]).toEqual(set);

    const human = await runVolly(["--profile", join(home, "bob"), "--pin", "123456", "notify", "@alice"]);
    expect(human.stdout).toMatch(/: level mentions, muted until \d{4}-/);

    expect((await ok("bob", "notify", "@alice", "--unmute", "--level", "default"))[0]).toEqual({
      conversationId,
    });
    expect((await ok("bob", "notify", "community_1", "--community", "--mute", "forever"))[0]).toEqual({
      communityId: "community_1",
      mutedUntil: "forever",
    });
  });

  it("a bad level or period is a usage error (exit 2) and changes nothing", async () => {
    for (const args of [
      ["--level", "loud"],
      ["--mute", "2h"],
      ["--mute", "1h", "--unmute"],
    ]) {
      const r = await runVolly([...as("bob"), "notify", "@alice", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
    }
    const [rule] = await ok("bob", "notify", "@alice");
    expect(Object.keys(rule ?? {})).toEqual(["conversationId"]);
  });
});

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { type CliResult, jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * `volly send --reply-to`, `react [--remove]`, `edit`, `delete`, `pin`, `unpin`, and what
 * `volly receive --json` prints for them (one object per event with its `type`) — real server
 * process, real CLI, two accounts.
 */
describe("volly message actions", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-actions-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];

  /** `volly <handle> ARGS`, which must exit 0; its JSON lines. */
  async function ok(handle: string, ...args: string[]): Promise<Array<Record<string, unknown>>> {
    const r = await runVolly([...as(handle), ...args]);
    expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    return jsonLines(r.stdout);
  }
  /** `volly <handle> ARGS`, which must fail with `code` naming `error` on stderr. */
  async function fails(code: number, error: string, handle: string, ...args: string[]): Promise<CliResult> {
    const r = await runVolly([...as(handle), ...args]);
    expect(r.code, `${args.join(" ")}: ${r.stdout} ${r.stderr}`).toBe(code);
    expect(r.stderr).toContain(error);
    return r;
  }
  const idOf = (lines: Array<Record<string, unknown>>) => String(lines[0]?.id);

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "bob"].map((handle) => ok(handle, "init", "--server", server.url, "--handle", handle)),
    );
    const invite = await ok("alice", "invite");
    await ok("bob", "accept", String(invite[0]?.link));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("reply, react, unreact and refused actions, as receive --json prints them", async () => {
    const lunch = idOf(await ok("alice", "send", "@bob", "lunch? @bob"));
    expect(await ok("bob", "receive")).toEqual([
      expect.objectContaining({
        type: "message",
        id: lunch,
        from: "alice",
        text: "lunch? @bob",
        mentions: ["bob"],
      }),
    ]);

    const reply = idOf(await ok("bob", "send", "@alice", "yes @alice.", "--reply-to", lunch));
    expect(await ok("bob", "react", "@alice", lunch, "👍")).toEqual([
      expect.objectContaining({
        type: "reaction",
        messageId: lunch,
        emoji: "👍",
        removed: false,
        from: "bob",
      }),
    ]);
    await ok("bob", "react", "@alice", lunch, "👍", "--remove");
    await ok("bob", "react", "@alice", lunch, "🎉");
    // refused: not the sender (exit 6), a bad reaction (exit 2), an unknown message (exit 4)
    await fails(6, "VOLLY_E_FORBIDDEN", "bob", "edit", "@alice", lunch, "mine now");
    await fails(6, "VOLLY_E_FORBIDDEN", "bob", "delete", "@alice", lunch);
    await fails(2, "VOLLY_E_USAGE", "bob", "react", "@alice", lunch, "x".repeat(40));
    await fails(4, "VOLLY_E_UNKNOWN_MESSAGE", "bob", "react", "@alice", "AAAAAAAAAAAAAAAAAAAAAA", "👍");

    const got = await ok("alice", "receive");
    expect(got.map((e) => e.type)).toEqual(["message", "reaction", "reaction", "reaction"]);
    expect(got[0]).toMatchObject({ id: reply, text: "yes @alice.", replyTo: lunch, mentions: ["alice"] });
    expect(got.slice(1)).toEqual([
      expect.objectContaining({
        messageId: lunch,
        emoji: "👍",
        removed: false,
        from: "bob",
        conversation: "bob",
      }),
      expect.objectContaining({ messageId: lunch, emoji: "👍", removed: true, from: "bob" }),
      expect.objectContaining({ messageId: lunch, emoji: "🎉", removed: false, from: "bob" }),
    ]);
  });

  it("edit, pin, unpin and delete for everyone reach the other side as events", async () => {
    const plan = idOf(await ok("alice", "send", "@bob", "meet at 12"));
    const oops = idOf(await ok("alice", "send", "@bob", "wrong chat, sorry"));
    expect((await ok("bob", "receive")).map((e) => e.id)).toEqual([plan, oops]);

    expect(await ok("alice", "edit", "@bob", plan, "meet at 1")).toEqual([
      expect.objectContaining({ type: "edit", messageId: plan, text: "meet at 1" }),
    ]);
    await ok("alice", "pin", "@bob", plan);
    await ok("alice", "unpin", "@bob", plan);
    expect(await ok("alice", "delete", "@bob", oops)).toEqual([
      expect.objectContaining({ type: "delete", messageId: oops, from: "alice" }),
    ]);
    await fails(4, "VOLLY_E_UNKNOWN_MESSAGE", "alice", "edit", "@bob", oops, "undo");

    const got = await ok("bob", "receive");
    expect(got).toEqual([
      expect.objectContaining({ type: "edit", messageId: plan, text: "meet at 1", from: "alice" }),
      expect.objectContaining({ type: "pin", messageId: plan, pinned: true }),
      expect.objectContaining({ type: "pin", messageId: plan, pinned: false }),
      expect.objectContaining({ type: "delete", messageId: oops, from: "alice" }),
    ]);
    // the human-readable lines say the same
    const late = idOf(await ok("alice", "send", "@bob", "one more"));
    await ok("alice", "react", "@bob", late, "🙂");
    const lines = await runVolly(["--profile", join(home, "bob"), "--pin", "123456", "receive"]);
    expect(lines.stdout.split("\n").filter(Boolean)).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d\] \[@alice\] alice: one more$/),
      expect.stringMatching(new RegExp(`^\\[\\d\\d:\\d\\d\\] \\[@alice\\] alice reacted 🙂 to ${late}$`)),
    ]);
  });
});

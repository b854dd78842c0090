import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { type InteractiveVolly, jsonLines, runVolly, startVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * `volly chat @handle` driven like a script would: stdin is a pipe, lines typed into it are sent,
 * the other side's messages appear in its output live, `/quit` (or the end of input) leaves.
 */
describe("volly chat with piped stdin", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-chat-");
  const profile = (handle: string) => ["--profile", join(home, handle), "--pin", "123456"];
  const chats: InteractiveVolly[] = [];

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "bob"].map(async (handle) => {
        const r = await runVolly([...profile(handle), "init", "--server", server.url, "--handle", handle]);
        expect(r.code, r.stderr).toBe(0);
      }),
    );
  });
  afterAll(async () => {
    for (const chat of chats) chat.kill();
    await server?.stop();
  });

  it("sends a typed line, shows the other side's reply live, and /quit exits 0", async () => {
    const chat = startVolly([...profile("alice"), "chat", "@bob"]);
    chats.push(chat);
    await chat.waitFor("stderr", "chatting with @bob");
    chat.type("hello from a pipe");
    // Echoed (plain, no prompt or escape codes) once the server stored it.
    await chat.waitFor("stdout", "alice: hello from a pipe");

    const got = await runVolly([...profile("bob"), "--json", "receive"]);
    expect(got.code).toBe(0);
    expect(jsonLines(got.stdout)).toEqual([
      expect.objectContaining({ from: "alice", text: "hello from a pipe" }),
    ]);
    const reply = await runVolly([...profile("bob"), "send", "@alice", "live reply"]);
    expect(reply.code).toBe(0);
    await chat.waitFor("stdout", "bob: live reply");

    chat.type("/quit");
    const result = await chat.done;
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("> ");
    expect(result.stdout).not.toContain("\x1b");
    expect(result.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d\] alice: hello from a pipe$/),
      expect.stringMatching(/^\[\d\d:\d\d\] bob: live reply$/),
    ]);
  });

  it("with --json prints history and sent lines as JSON, and the end of input exits 0", async () => {
    const chat = startVolly([...profile("bob"), "--json", "chat", "@alice", "--history", "2"]);
    chats.push(chat);
    chat.type("second line");
    await chat.waitFor("stdout", '"text":"second line"');
    chat.endInput();
    const result = await chat.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(jsonLines(result.stdout)).toEqual([
      expect.objectContaining({ from: "alice", text: "hello from a pipe" }),
      expect.objectContaining({ from: "bob", text: "live reply" }),
      expect.objectContaining({ from: "bob", text: "second line" }),
    ]);

    expect(jsonLines(result.stdout)[0]).toMatchObject({ conversation: "alice" });

    const badHistory = await runVolly([...profile("bob"), "--json", "chat", "@alice", "--history", "x"]);
    expect(badHistory.code).toBe(2);
    expect(JSON.parse(badHistory.stderr).error.code).toBe("VOLLY_E_USAGE");
  });

  it("prints the header first, then the history, each on its own line (stdout and stderr in one pipe)", async () => {
    const chat = startVolly(
      [...profile("alice"), "chat", "@bob", "--history", "3"],
      {},
      { mergeStderr: true },
    );
    chats.push(chat);
    await chat.waitFor("stdout", "second line");
    chat.endInput();
    const result = await chat.done;
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")).toEqual([
      "— chatting with @bob; /quit to leave —",
      expect.stringMatching(/^\[\d\d:\d\d\] alice: hello from a pipe$/),
      expect.stringMatching(/^\[\d\d:\d\d\] bob: live reply$/),
      expect.stringMatching(/^\[\d\d:\d\d\] bob: second line$/),
      "",
    ]);
  });
});

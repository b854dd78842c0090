import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { sendAs, setUpCliTrio } from "./helpers/cli-trio.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * Plain `volly receive` with several conversations: each message says which conversation it came
 * from and who sent it, in the order the messages were written — real server, real CLI.
 */
describe("volly receive across conversations", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-receive-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456"];
  let groupId = "";
  let directId = "";

  /** `volly <handle> send TARGET TEXT`, which must succeed. */
  const send = (handle: string, target: string, text: string) => sendAs(as, handle, target, text);

  beforeAll(async () => {
    server = await startServerProcess();
    ({ directId, groupId } = await setUpCliTrio(as, server.url));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("prints each message with its conversation and sender, in the order they were written", async () => {
    await send("bob", groupId, "count me in");
    await send("bob", "@alice", "are you driving?");
    await send("carol", groupId, "me too");
    await send("bob", "@alice", "line one\nline two\x1b[2J");

    const r = await runVolly([...as("alice"), "receive"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean)).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d\] \[Weekend trip\] bob: count me in$/),
      expect.stringMatching(/^\[\d\d:\d\d\] \[@bob\] bob: are you driving\?$/),
      expect.stringMatching(/^\[\d\d:\d\d\] \[Weekend trip\] carol: me too$/),
      // A second line is indented, so it cannot pass for another message; escapes are defused.
      expect.stringMatching(/^\[\d\d:\d\d\] \[@bob\] bob: line one$/),
      "    line two\uFFFD[2J",
    ]);
  });

  it("--json keeps its fields, adds the conversation's title, type and mentions, and is in the same order", async () => {
    await send("carol", groupId, "first");
    await send("bob", "@alice", "second");
    await send("bob", groupId, "third");

    const r = await runVolly([...as("alice"), "--json", "receive"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.map((m) => [m.conversation, m.from, m.text])).toEqual([
      ["Weekend trip", "carol", "first"],
      ["bob", "bob", "second"],
      ["Weekend trip", "bob", "third"],
    ]);
    expect(lines[1]).toEqual({
      type: "message",
      id: expect.any(String),
      conversationId: directId,
      from: "bob",
      fromType: "human",
      text: "second",
      sentAt: expect.any(Number),
      conversation: "bob",
      mentions: [],
    });
    const sentAt = lines.map((m) => m.sentAt as number);
    expect(sentAt).toEqual([...sentAt].sort((a, b) => a - b));
    expect(lines[0]?.conversationId).toBe(groupId);
  });
});

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * `volly group add`, `group rename` and `group leave` through the real CLI against a real server
 * process, and the membership events `receive` and `chat` print for them. The tests run in order
 * on one group: alice creates it with bob, adds carol, renames it, and carol leaves.
 */
describe("group membership through the CLI", () => {
  let server: ServerProcess;
  let conversationId = "";
  const home = tempDir("volly-cli-members-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];
  /** A `receive --json` line in short: `from: text` for a message, `* by change members` for an event. */
  const short = (m: Record<string, unknown>) =>
    m.event === "membership"
      ? `* ${m.by} ${m.change}${(m.members as string[]).map((h) => ` ${h}`).join("")}${m.name ? ` '${m.name}'` : ""}`
      : `${m.from}: ${m.text}`;
  /** Runs `volly <handle> receive --json` and returns what it printed, in short. */
  const receiveTexts = async (handle: string) => {
    const r = await runVolly([...as(handle), "receive"]);
    expect(r.code, r.stderr).toBe(0);
    return jsonLines(r.stdout).map(short);
  };
  /** Runs `volly <handle> receive --json` until `line` was printed (at most 20 runs); returns every line. */
  const receiveUntil = async (handle: string, line: string) => {
    const seen: string[] = [];
    for (let run = 0; run < 20 && !seen.includes(line); run++) seen.push(...(await receiveTexts(handle)));
    return seen;
  };

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "bob", "carol"].map(async (handle) => {
        const r = await runVolly([...as(handle), "init", "--server", server.url, "--handle", handle]);
        expect(r.code, r.stderr).toBe(0);
      }),
    );
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
    // carol, in words: who added her, then what was sent afterwards
    const carol = await runVolly(["--profile", join(home, "carol"), "--pin", "123456", "receive"]);
    expect(carol.code, carol.stderr).toBe(0);
    expect(carol.stdout.split("\n").filter(Boolean)).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d\] \[Team\] alice added you$/),
      expect.stringMatching(/^\[\d\d:\d\d\] \[Team\] alice: welcome carol$/),
    ]);
    // bob: added by alice, then alice added carol — one JSON line per event, in the order written
    const bob = await runVolly([...as("bob"), "receive"]);
    expect(bob.code, bob.stderr).toBe(0);
    const bobLines = jsonLines(bob.stdout);
    expect(bobLines.map(short)).toEqual([
      "* alice joined bob",
      "alice: before carol",
      "* alice added carol",
      "alice: welcome carol",
    ]);
    expect(bobLines[2]).toEqual({
      event: "membership",
      id: expect.any(String),
      conversationId,
      conversation: "Team",
      change: "added",
      by: "alice",
      members: ["carol"],
      at: expect.any(Number),
    });
    // messages keep their fields, plus their type, the sender's entity type and mentions
    expect(Object.keys(bobLines[3] ?? {}).sort()).toEqual(
      [
        "conversation",
        "conversationId",
        "from",
        "fromType",
        "id",
        "mentions",
        "sentAt",
        "text",
        "type",
      ].sort(),
    );
    // alice made the changes: nothing new for her (her own events are not "received")
    expect(await receiveTexts("alice")).toEqual([]);

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
    // A rename is a membership event in `receive`; `groups` (which syncs first) shows the new name.
    for (const handle of ["bob", "carol"]) {
      expect(await receiveTexts(handle)).toEqual(["* alice renamed 'Crew'"]);
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
    // a remaining member commits the Remove of carol's device in the background: then "carol left"
    // (not "alice removed carol") for both
    const bobSaw = await receiveUntil("bob", "* carol left carol");
    expect(bobSaw).toContain("alice: carol has left");
    expect(bobSaw.filter((l) => l.startsWith("*"))).toEqual(["* carol left carol"]);
    const aliceSaw = await receiveUntil("alice", "* carol left carol");
    expect(aliceSaw).toContain("bob: still here");
    expect(aliceSaw.filter((l) => l.startsWith("*"))).toEqual(["* carol left carol"]);
    expect(await receiveTexts("carol")).toEqual([]);

    // `chat` shows the events inline with the messages
    const chat = await runVolly(
      [...as("bob").slice(0, 4), "chat", conversationId, "--history", "20"],
      {},
      "/quit\n",
    );
    expect(chat.code, chat.stderr).toBe(0);
    const chatLines = chat.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => l.replace(/^\[\d\d:\d\d\] /, ""));
    expect(chatLines.slice(0, 5)).toEqual([
      "alice added you",
      "alice: before carol",
      "alice added carol",
      "alice: welcome carol",
      "alice renamed the group to 'Crew'",
    ]);
    expect(chatLines.slice(5).sort()).toEqual(["alice: carol has left", "bob: still here", "carol left"]);

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

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * Threads in a community channel through the real CLI against a real `volly serve` process:
 * `volly send --thread`, `volly threads [ROOT]` (reply counts, unread per thread, marking read) and
 * what `volly receive --json` prints for thread replies, their edits and reactions.
 */
describe("threads through the CLI", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-threads-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];

  /** `volly <handle> ARGS`, which must exit 0; its JSON lines. */
  async function ok(handle: string, ...args: string[]): Promise<Array<Record<string, unknown>>> {
    const r = await runVolly([...as(handle), ...args]);
    expect(r.code, `${handle} ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return jsonLines(r.stdout);
  }
  const idOf = (lines: Array<Record<string, unknown>>) => String(lines[0]?.id);

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "bob"].map((handle) => ok(handle, "init", "--server", server.url, "--handle", handle)),
    );
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("two accounts in a channel: a thread with replies, unread per thread, a reply edited and reacted", async () => {
    const [created] = await ok("alice", "community", "create", "Guild");
    const communityId = String(created?.communityId);
    const [invite] = await ok("alice", "community", "invite", communityId);
    await ok("bob", "community", "join", String(invite?.link));
    const [shown] = await ok("alice", "community", "show", communityId);
    const general = (shown as { channels: Array<{ name: string; channelId: string }> }).channels.find(
      (c) => c.name === "general",
    )?.channelId as string;

    // bob must be in the channel's group before alice's root is sent to it
    await waitFor(
      async () => {
        await ok("alice", "receive");
        const r = await runVolly([...as("bob"), "send", general, "hi all"]);
        return r.code === 0;
      },
      { message: "bob can send in #general" },
    );
    const root = idOf(await ok("alice", "send", general, "release on friday?"));
    let rootSeen = false;
    await waitFor(
      async () => {
        rootSeen ||= (await ok("bob", "receive")).some((m) => m.id === root);
        return rootSeen;
      },
      { message: "bob received the root" },
    );

    const [sent] = await ok("bob", "send", general, "friday works", "--thread", root);
    expect(sent).toMatchObject({ threadId: root });
    const reply1 = String(sent?.id);
    const reply2 = idOf(await ok("bob", "send", general, "after the freeze", "--thread", root));

    const received = (await ok("alice", "receive")).filter((m) => m.type === "message");
    expect(received).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: reply1, threadId: root, text: "friday works", channelId: general }),
        expect.objectContaining({ id: reply2, threadId: root, text: "after the freeze" }),
      ]),
    );
    expect(received.find((m) => m.text === "hi all")?.threadId).toBeUndefined();

    // per-thread unread on alice's side, none on bob's (his own replies)
    expect(await ok("alice", "threads", general)).toEqual([
      expect.objectContaining({
        rootId: root,
        replyCount: 2,
        unread: 2,
        root: expect.objectContaining({ id: root, text: "release on friday?" }),
      }),
    ]);
    expect(await ok("bob", "threads", general)).toEqual([
      expect.objectContaining({ rootId: root, replyCount: 2, unread: 0 }),
    ]);
    // opening the thread prints its replies and marks it read
    expect((await ok("alice", "threads", general, root)).map((m) => m.id)).toEqual([reply1, reply2]);
    expect(await ok("alice", "threads", general)).toEqual([expect.objectContaining({ unread: 0 })]);

    // a thread reply edited by its sender and reacted to by alice
    await ok("bob", "edit", general, reply1, "friday works for me");
    await ok("alice", "react", general, reply1, "👍");
    const onAlice = await ok("alice", "receive");
    expect(onAlice).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "edit", messageId: reply1, text: "friday works for me" }),
      ]),
    );
    const onBob = await ok("bob", "receive");
    expect(onBob).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: "reaction", messageId: reply1, emoji: "👍" })]),
    );
    const replies = await ok("bob", "threads", general, root);
    expect(replies[0]).toMatchObject({
      id: reply1,
      threadId: root,
      text: "friday works for me",
      reactions: { "👍": ["alice"] },
    });

    // a third reply from bob counts again as unread for alice only in the thread
    await ok("bob", "send", general, "ship it", "--thread", root);
    await ok("alice", "receive");
    expect((await ok("alice", "threads", general))[0]).toMatchObject({ replyCount: 3, unread: 1 });

    // threads exist only in channels: a direct conversation refuses --thread
    const [dmSent] = await ok("alice", "send", "@bob", "psst");
    const refused = await runVolly([
      ...as("alice"),
      "send",
      "@bob",
      "in a thread",
      "--thread",
      String(dmSent?.id),
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("VOLLY_E_USAGE");
  }, 600_000);
});

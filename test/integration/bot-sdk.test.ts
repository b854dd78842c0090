import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { type Bot, type IncomingMessage, type MemberEvent, MessageEvent, startBot } from "@volly/bot";
import { type MessageRecord, messageText } from "@volly/client";
import { damageGroupState } from "@volly/client/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { collect, newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * `@volly/bot`'s `startBot` against a real `volly serve` process, with a person on the SDK: the
 * profile is created without a prompt (entity type "bot"), messages reach `onMessage` once each
 * (not again on status changes, reactions, or after a restart; those that arrived while it was
 * stopped after the restart), replies and reactions reach the person, and it answers in a group it
 * was added to.
 */
describe("@volly/bot startBot on a server process", () => {
  let server: ServerProcess;
  const home = tempDir("volly-bot-sdk-");
  const botDir = join(home, "echo");
  const open: Array<{ close(): Promise<void> }> = [];
  process.env.NODE_ENV = "test";
  process.env.VOLLY_INSECURE_TEST_KDF = "1";

  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    for (const c of open.splice(0)) await c.close().catch(() => undefined);
    await server?.stop();
  });

  async function start(): Promise<Bot> {
    const bot = await startBot({
      dir: botDir,
      secret: "123456",
      server: server.url,
      handle: "echo",
      log: () => {},
    });
    open.push(bot);
    return bot;
  }

  it("creates its account, hands each message over once (also across a restart), replies and reacts, in a DM and a group", async () => {
    const alice = await newClient(home, server.url, "alice");
    open.push(alice);
    await alice.connect();
    const aliceGot = collect(alice);

    let bot = await start();
    expect(bot.handle).toBe("echo");
    expect((await alice.lookup("echo")).entityType).toBe("bot");
    const seen: IncomingMessage[] = [];
    const events: MemberEvent[] = [];
    bot.onEvent((e) => events.push(e));
    bot.onMessage(async (m) => {
      seen.push(m);
      await m.react("👍");
      await m.reply(`echo: ${m.text}`);
    });

    const dm = await alice.sendText("@echo", "hello");
    await waitFor(() => aliceGot.some((m) => messageText(m) === "echo: hello"), {
      message: "the echo in the DM",
    });
    const echo = aliceGot.find((m) => messageText(m) === "echo: hello") as MessageRecord;
    expect(echo.replyTo).toBe(dm.id);
    await waitFor(
      async () => (await alice.messaging.history(dm.conversationId)).some((m) => m.reactions?.length),
      {
        message: "the reaction",
      },
    );
    expect(seen.map((m) => [m.text, m.direction, m.from.handle, m.from.entityType])).toEqual([
      ["hello", "in", "alice", "human"],
    ]);
    expect(JSON.parse(JSON.stringify(seen[0]))).toEqual(events.find((e) => e.id === dm.id));
    for (const e of events) expect(Value.Check(MessageEvent, e)).toBe(true);
    await waitFor(() => events.some((e) => e.direction === "out" && e.text === "echo: hello"), {
      message: "its own reply as an event",
    });
    expect(await bot.conversations()).toEqual([
      expect.objectContaining({ id: dm.conversationId, kind: "direct", name: "alice" }),
    ]);
    expect((await bot.messages(dm.conversationId)).map((m) => m.text)).toEqual(["hello", "echo: hello"]);

    // Stopped: what arrives meanwhile is handed over after the restart; "hello" is not again.
    await bot.close();
    await alice.messaging.send(dm.conversationId, "while you were away");
    bot = await start();
    const afterRestart: string[] = [];
    bot.onMessage(async (m) => {
      afterRestart.push(m.text);
      await m.reply(`echo: ${m.text}`);
    });
    await waitFor(() => aliceGot.some((m) => messageText(m) === "echo: while you were away"), {
      message: "the echo of the message sent while it was stopped",
    });

    // A group it is added to: joined on the Welcome, answered there.
    const group = await alice.conversations.createGroup("Ops", ["echo"]);
    await waitFor(async () => (await bot.conversations()).some((c) => c.id === group.id), {
      message: "bot joined",
    });
    await alice.messaging.send(group.id, "hi group");
    await waitFor(
      () => aliceGot.some((m) => m.conversationId === group.id && messageText(m) === "echo: hi group"),
      { message: "the echo in the group" },
    );
    expect(afterRestart).toEqual(["while you were away", "hi group"]);
  });

  it("a bot whose group state is lost rejoins by external commit and says so, in the conversation and in its log", async () => {
    const carol = await newClient(home, server.url, "carol");
    open.push(carol);
    await carol.connect();
    const carolGot = collect(carol);
    const lines: string[] = [];
    const bot = await startBot({
      dir: join(home, "keeper"),
      secret: "123456",
      server: server.url,
      handle: "keeper",
      log: (line) => lines.push(line),
    });
    open.push(bot);
    const seen: string[] = [];
    bot.onMessage(async (m) => {
      seen.push(m.text);
      await m.reply(`echo: ${m.text}`);
    });
    const group = await carol.conversations.createGroup("Lab", ["keeper"]);
    await waitFor(async () => (await bot.conversations()).some((c) => c.id === group.id), {
      message: "bot joined",
    });
    await carol.messaging.send(group.id, "before");
    await waitFor(() => carolGot.some((m) => messageText(m) === "echo: before"), { message: "first echo" });

    await damageGroupState(bot.client, group.id, "delete");
    await carol.messaging.send(group.id, "lost on the bot");
    await waitFor(() => carolGot.some((m) => messageText(m)?.startsWith("I lost my keys") === true), {
      message: "the bot's notice",
    });
    const notice = messageText(
      carolGot.find((m) => messageText(m)?.startsWith("I lost my keys")) as MessageRecord,
    );
    expect(notice).toMatch(
      /^I lost my keys for this conversation and rejoined it; messages sent between \S+Z and \S+Z could not be read\./,
    );
    expect(lines.some((l) => l.includes("rejoined it by external commit") && l.includes(group.id))).toBe(
      true,
    );
    expect(await bot.client.messaging.recoveries()).toBe(1);
    expect((await bot.client.conversations.get(group.id)).notice).toBeUndefined();

    await carol.messaging.send(group.id, "after");
    await waitFor(() => carolGot.some((m) => messageText(m) === "echo: after"), {
      message: "echo after the rejoin",
    });
    expect(seen).toEqual(["before", "after"]);
  });
});

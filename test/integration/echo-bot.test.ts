import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { messageText, type VollyClient } from "@volly/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { collect, newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

const ECHO_BOT = resolve(import.meta.dirname, "../../examples/echo-bot/index.mjs");

/**
 * examples/echo-bot/index.mjs run as it is, as its own Node process, against a real `volly serve`
 * process: it creates its account on first start, answers a person's DM and a group it was added to
 * with the same text, and stops cleanly on SIGTERM. The example stays at most 15 lines of code.
 */
describe("examples/echo-bot against a server process", () => {
  let server: ServerProcess;
  let bot: ChildProcess | undefined;
  let alice: VollyClient | undefined;
  let output = "";
  const home = tempDir("volly-echo-bot-");

  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    bot?.kill("SIGKILL");
    await alice?.close().catch(() => undefined);
    await server?.stop();
  });

  it("is at most 15 lines of code", () => {
    const code = readFileSync(ECHO_BOT, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.trim().startsWith("//"));
    expect(code.length).toBeLessThanOrEqual(15);
  });

  it("answers a DM and a group with the same text, then stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [ECHO_BOT], {
      cwd: home,
      env: {
        ...process.env,
        NODE_ENV: "test",
        VOLLY_INSECURE_TEST_KDF: "1",
        VOLLY_BOT_DIR: join(home, "echo-profile"),
        VOLLY_BOT_SECRET: "424242",
        VOLLY_SERVER: server.url,
        VOLLY_BOT_HANDLE: "echo",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    bot = child;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.stdout?.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      output += c.toString();
    });
    await waitFor(() => output.includes("@echo is listening"), {
      timeoutMs: 30_000,
      message: `the bot (${output})`,
    });

    alice = await newClient(home, server.url, "alice");
    await alice.connect();
    const got = collect(alice);
    const dm = await alice.sendText("@echo", "ping in a DM");
    await waitFor(
      () => got.some((m) => m.conversationId === dm.conversationId && messageText(m) === "ping in a DM"),
      {
        message: "the echo in the DM",
      },
    );

    const group = await alice.conversations.createGroup("Echoes", ["echo"]);
    const inGroup = await alice.messaging.send(group.id, "ping in a group");
    await waitFor(
      () => got.some((m) => m.conversationId === group.id && messageText(m) === "ping in a group"),
      {
        message: "the echo in the group",
      },
    );
    const echoes = got.filter((m) => m.from === "echo" && m.body.type === "text");
    expect(echoes.map((m) => [m.conversationId, messageText(m)])).toEqual([
      [dm.conversationId, "ping in a DM"],
      [group.id, "ping in a group"],
    ]);
    expect(echoes.map((m) => m.replyTo)).toEqual([dm.id, inGroup.id]);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});

import { join } from "node:path";
import { messageText } from "@volly/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly, startDeviceLink } from "./helpers/cli.js";
import { reopenClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/** History hand-over and account sync when linking through the CLI — real server, real CLI. */
describe("volly devices link: history hand-over and the hidden self conversation", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-account-sync-");
  const as = (profile: string) => ["--profile", join(home, profile), "--pin", "123456", "--json"];
  let conversationId = "";

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "bob"].map(async (handle) => {
        const r = await runVolly([...as(handle), "init", "--server", server.url, "--handle", handle]);
        expect(r.code, r.stderr).toBe(0);
      }),
    );
    const invite = await runVolly([...as("alice"), "invite"]);
    const accepted = await runVolly([...as("bob"), "accept", String(jsonLines(invite.stdout)[0]?.link)]);
    expect(accepted.code, accepted.stderr).toBe(0);
    conversationId = (jsonLines(accepted.stdout)[0] as { conversationId: string }).conversationId;
    expect((await runVolly([...as("bob"), "send", "@alice", "before the link"])).code).toBe(0);
    const received = await runVolly([...as("alice"), "receive"]);
    expect(jsonLines(received.stdout).map((m) => m.text)).toEqual(["before the link"]);
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  /** Links profile `name` to alice with `flags`; returns the link's JSON result. */
  async function link(name: string, flags: string[]): Promise<Record<string, unknown>> {
    const running = startDeviceLink(as("alice"), flags);
    const init = await runVolly([...as(name), "init", "--link", await running.code, "--device-name", name]);
    expect(init.code, init.stderr).toBe(0);
    const linked = await running.done;
    expect(linked.code, linked.stderr).toBe(0);
    return jsonLines(linked.stdout)[1] as Record<string, unknown>;
  }

  /** Texts of the conversation's stored history on profile `name` (opened through the SDK). */
  async function historyOf(name: string): Promise<string[]> {
    const client = await reopenClient(home, name);
    try {
      return (await client.messaging.history(conversationId)).map((m) => messageText(m) ?? "");
    } finally {
      await client.close();
    }
  }

  it("hands the history over by default: stored as history, not printed by receive, self conversation hidden", async () => {
    const linked = await link("laptop", []);
    expect(linked).toMatchObject({
      added: [conversationId],
      failed: [],
      handOver: { stateSent: true, messages: 1 },
    });
    const received = await runVolly([...as("laptop"), "receive"]);
    expect(received.code, received.stderr).toBe(0);
    expect(received.stdout).toBe("");
    expect(received.stderr).not.toContain("account sync");
    expect(await historyOf("laptop")).toEqual(["before the link"]);

    for (const profile of ["alice", "laptop"]) {
      const list = jsonLines((await runVolly([...as(profile), "conversations"])).stdout);
      expect(list.map((c) => c.id)).toEqual([conversationId]);
      expect(jsonLines((await runVolly([...as(profile), "groups"])).stdout)).toEqual([]);
    }

    // New messages still arrive once, on both devices.
    expect((await runVolly([...as("bob"), "send", conversationId, "after the link"])).code).toBe(0);
    const next = await runVolly([...as("laptop"), "receive"]);
    expect(jsonLines(next.stdout).map((m) => m.text)).toEqual(["after the link"]);
  }, 300_000);

  it("--no-history links the device without the earlier messages", async () => {
    const linked = await link("desk", ["--no-history"]);
    expect(linked).toMatchObject({ failed: [], handOver: { stateSent: true, messages: 0, chunks: 0 } });
    const received = await runVolly([...as("desk"), "receive"]);
    expect(received.code, received.stderr).toBe(0);
    expect(received.stdout).toBe("");
    expect(await historyOf("desk")).toEqual([]);
  }, 300_000);
});

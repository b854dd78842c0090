import { join } from "node:path";
import type { VollyClient } from "@volly/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { reopenClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * `volly status set online|idle|dnd|invisible [--text TEXT] [--until ISO-8601]` and `volly status`
 * against a real `volly serve` process; then the SDK, in fresh processes' worth of clients, sees
 * what the CLI set: the status is the account's, held by the server.
 */
describe("volly status set", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-status-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];
  const clients: VollyClient[] = [];

  async function ok(handle: string, ...args: string[]): Promise<Array<Record<string, unknown>>> {
    const r = await runVolly([...as(handle), ...args]);
    expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    return jsonLines(r.stdout);
  }
  const presenceOf = async (handle: string) => (await ok(handle, "status"))[0]?.presence;

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "bob"].map((handle) => ok(handle, "init", "--server", server.url, "--handle", handle)),
    );
    const invite = await ok("alice", "invite");
    await ok("bob", "accept", String(invite[0]?.link));
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await server?.stop();
  });

  it("sets dnd with a custom text and expiry; volly status shows it; contacts see it through the SDK", async () => {
    expect(await presenceOf("alice")).toEqual({ status: "online" });
    const human = await runVolly(["--profile", join(home, "alice"), "--pin", "123456", "status"]);
    expect(human.stdout).toContain("status online");

    const until = new Date(Date.now() + 3_600_000);
    const set = await ok(
      "alice",
      "status",
      "set",
      "dnd",
      "--text",
      "in a meeting",
      "--until",
      until.toISOString(),
    );
    expect(set).toEqual([{ status: "dnd", text: "in a meeting", until: until.getTime() }]);
    expect(await presenceOf("alice")).toEqual({
      status: "dnd",
      text: "in a meeting",
      until: until.getTime(),
    });

    // Fresh clients: alice's status comes from the server, and bob sees it while she is connected.
    const alice = await reopenClient(home, "alice");
    const bob = await reopenClient(home, "bob");
    clients.push(alice, bob);
    await alice.connect();
    await bob.connect();
    await waitFor(() => alice.presence.ownStatus.status === "dnd", { message: "alice's own status pushed" });
    expect(alice.presence.doNotDisturb).toBe(true);
    await waitFor(() => bob.presence.statusOf("alice") === "dnd", { message: "bob sees alice dnd" });
    expect(bob.presence.detailsOf("alice")).toMatchObject({ text: "in a meeting", until: until.getTime() });
    await alice.close();
    await bob.close();
  });

  it("refuses a bad status, text or date with exit 2 and changes nothing", async () => {
    await ok("bob", "status", "set", "idle", "--text", "reading");
    const cases: string[][] = [
      ["status", "set", "busy"],
      ["status", "set", "away"],
      ["status", "set", "dnd", "--until", "tomorrow", "--text", "x"],
      ["status", "set", "dnd", "--until", "2026-02-30T10:00Z", "--text", "x"],
      ["status", "set", "dnd", "--until", "2001-01-01T00:00:00Z", "--text", "x"],
      ["status", "set", "dnd", "--until", new Date(Date.now() + 60_000).toISOString()],
      ["status", "set", "dnd", "--text", "x".repeat(129)],
      ["status", "set", "dnd", "--text", "bell\u0007"],
      ["status", "set", "dnd", "--text", ""],
      ["status", "set"],
    ];
    for (const args of cases) {
      const r = await runVolly([...as("bob"), ...args]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
    }
    expect(await presenceOf("bob")).toEqual({ status: "idle", text: "reading" });
  });

  it("stops showing a custom text once --until has passed (no sleeping for it: waits for the time)", async () => {
    const until = new Date(Date.now() + 10_000); // a CLI run unlocks the profile first: seconds
    await ok("bob", "status", "set", "invisible", "--text", "brb", "--until", until.toISOString());
    await waitFor(() => Date.now() > until.getTime(), { message: "the text's expiry" });
    expect(await presenceOf("bob")).toEqual({ status: "invisible" });
  });
});

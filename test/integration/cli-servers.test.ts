import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/** A loopback URL nothing listens on (a port the OS just handed out and took back). */
async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return `http://127.0.0.1:${port}`;
}

/**
 * Issue 5 through the CLI: a profile configured with several server URLs (`init --server A
 * --server B`, or VOLLY_SERVER=A,B) keeps them all, and every command reaches the deployment
 * through whichever one answers.
 */
describe("several server URLs through the CLI", () => {
  let server: ServerProcess;
  let dead: string;
  const home = tempDir("volly-cli-servers-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];

  beforeAll(async () => {
    server = await startServerProcess();
    dead = await deadUrl();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("a profile whose first URL is a dead port registers, sends and receives through the second", async () => {
    const alice = await runVolly([
      ...as("alice"),
      "init",
      "--server",
      dead,
      "--server",
      server.url,
      "--handle",
      "alice",
    ]);
    expect(alice.stderr).toBe("");
    expect(alice.code).toBe(0);
    expect(jsonLines(alice.stdout)[0]).toMatchObject({ server: dead, servers: [dead, server.url] });
    // VOLLY_SERVER is the comma-separated fallback of --server.
    const bob = await runVolly([...as("bob"), "init", "--handle", "bob"], {
      VOLLY_SERVER: `${dead}, ${server.url}`,
    });
    expect(bob.stderr).toBe("");
    expect(bob.code).toBe(0);
    expect(jsonLines(bob.stdout)[0]).toMatchObject({ servers: [dead, server.url] });

    const status = await runVolly([...as("alice"), "status"]);
    expect(jsonLines(status.stdout)[0]).toMatchObject({ handle: "alice", servers: [dead, server.url] });

    const sent = await runVolly([...as("alice"), "send", "@bob", "through the second node"]);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const got = await runVolly([...as("bob"), "receive"]);
    expect(got.code).toBe(0);
    expect(jsonLines(got.stdout)).toEqual([
      expect.objectContaining({ from: "alice", text: "through the second node" }),
    ]);
    const reply = await runVolly([...as("bob"), "send", "@alice", "and back"]);
    expect(reply.code).toBe(0);
    const back = await runVolly([...as("alice"), "receive"]);
    expect(jsonLines(back.stdout)).toEqual([expect.objectContaining({ from: "bob", text: "and back" })]);
  });

  it("a profile whose every URL is dead fails with exit 5; bad URLs are usage errors (exit 2)", async () => {
    const nowhere = await runVolly([
      ...as("carol"),
      "init",
      "--server",
      dead,
      "--server",
      await deadUrl(),
      "--handle",
      "carol",
    ]);
    expect(nowhere.code).toBe(5);
    expect(JSON.parse(nowhere.stderr).error.code).toBe("VOLLY_E_SERVER_UNREACHABLE");
    for (const bad of [
      ["--server", server.url, "--server", "ftp://x"],
      ["--server", `${dead},${server.url}`],
      ["--server", "not a url"],
    ]) {
      const r = await runVolly([...as("dave"), "init", ...bad, "--handle", "dave"]);
      expect(r.code, bad.join(" ")).toBe(2);
      expect(JSON.parse(r.stderr).error.code).toBe("VOLLY_E_USAGE");
    }
    // A pairing code names its server; the --server list must include it.
    const code = `volly-link:${server.url}/${"A".repeat(22)}.${"A".repeat(22)}`;
    const otherLink = await runVolly([...as("dave"), "init", "--server", dead, "--link", code]);
    expect(otherLink.code).toBe(2);
    expect(JSON.parse(otherLink.stderr).error).toMatchObject({
      code: "VOLLY_E_USAGE",
      message: expect.stringContaining("not among the server URLs"),
    });
    const badEnv = await runVolly([...as("dave"), "init", "--handle", "dave"], {
      VOLLY_SERVER: `${server.url},gopher://x`,
    });
    expect(badEnv.code).toBe(2);
    expect(JSON.parse(badEnv.stderr).error).toMatchObject({
      code: "VOLLY_E_USAGE",
      message: expect.stringContaining("VOLLY_SERVER"),
    });
  });
});

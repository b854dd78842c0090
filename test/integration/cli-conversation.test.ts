import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * The README's walkthrough, run for real: two people who have never met use the `volly` CLI against
 * a real `volly serve` process and exchange an end-to-end encrypted message.
 */
describe("two people talk through the CLI", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-");
  const alice = ["--profile", join(home, "alice")];
  const bob = ["--profile", join(home, "bob")];

  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("init, invite, accept, send and receive --json deliver the message exactly once", async () => {
    const a = await runVolly([
      ...alice,
      "init",
      "--server",
      server.url,
      "--handle",
      "alice",
      "--pin",
      "123456",
    ]);
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    const b = await runVolly([...bob, "--json", "init", "--server", server.url, "--handle", "bob"], {
      VOLLY_PIN: "654321",
    });
    expect(b.code).toBe(0);
    expect(jsonLines(b.stdout)[0]).toMatchObject({ handle: "bob", server: server.url });

    const invite = await runVolly([...alice, "invite"], { VOLLY_PIN: "123456" });
    expect(invite.code).toBe(0);
    const link = invite.stdout.trim();
    expect(link).toMatch(/^volly:\/\/invite\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(invite.stdout.split("\n").filter(Boolean)).toHaveLength(1);

    const accepted = await runVolly([...bob, "--json", "accept", link], { VOLLY_PIN: "654321" });
    expect(accepted.stderr).toBe("");
    expect(accepted.code).toBe(0);
    const { conversationId } = jsonLines(accepted.stdout)[0] as { conversationId: string };

    const sent = await runVolly([...bob, "send", "@alice", "hello"], { VOLLY_PIN: "654321" });
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);

    const received = await runVolly([...alice, "receive", "--json"], { VOLLY_PIN: "123456" });
    expect(received.code).toBe(0);
    const messages = jsonLines(received.stdout);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ conversationId, from: "bob", text: "hello" });
    expect(typeof messages[0]?.id).toBe("string");
    expect(typeof messages[0]?.sentAt).toBe("number");

    const again = await runVolly([...alice, "receive", "--json"], { VOLLY_PIN: "123456" });
    expect(again.code).toBe(0);
    expect(jsonLines(again.stdout)).toHaveLength(0);

    const reply = await runVolly([...alice, "send", "@bob", "hi bob"], { VOLLY_PIN: "123456" });
    expect(reply.code).toBe(0);
    // bob sends before he receives: his send syncs (and stores) alice's reply first, and his next
    // receive must still print it, once.
    const bobSends = await runVolly([...bob, "send", conversationId, "thanks"], { VOLLY_PIN: "654321" });
    expect(bobSends.code).toBe(0);
    const bobInbox = await runVolly([...bob, "--json", "receive"], { VOLLY_PIN: "654321" });
    expect(jsonLines(bobInbox.stdout)).toEqual([
      expect.objectContaining({ from: "alice", text: "hi bob", conversationId }),
    ]);
  });

  it("a wrong PIN is refused with exit code 3 and changes nothing", async () => {
    const wrong = await runVolly([...alice, "--json", "status"], { VOLLY_PIN: "000000" });
    expect(wrong.code).toBe(3);
    expect(JSON.parse(wrong.stderr)).toEqual({ error: { code: "VOLLY_E_WRONG_PIN", message: "Wrong PIN." } });
    const right = await runVolly([...alice, "--json", "status"], { VOLLY_PIN: "123456" });
    expect(right.code).toBe(0);
    expect(jsonLines(right.stdout)[0]).toMatchObject({ handle: "alice", outbox: 0, undecryptable: {} });
  });

  it("bad usage and unknown handles get typed errors and meaningful exit codes", async () => {
    const noArgs = await runVolly([...alice, "send"], { VOLLY_PIN: "123456" });
    expect(noArgs.code).toBe(2);
    const badUrl = await runVolly(
      ["--profile", join(home, "carol"), "init", "--server", "ftp://x", "--handle", "carol"],
      {
        VOLLY_PIN: "111111",
      },
    );
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("VOLLY_E_USAGE");
    const unknown = await runVolly([...alice, "send", "@nobody", "hi"], { VOLLY_PIN: "123456" });
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain("VOLLY_E_UNKNOWN_HANDLE");
    const noProfile = await runVolly(["--profile", join(home, "nobody"), "status"], { VOLLY_PIN: "123456" });
    expect(noProfile.code).toBe(4);
    const taken = await runVolly(
      ["--profile", join(home, "alice2"), "init", "--server", server.url, "--handle", "alice"],
      {
        VOLLY_PIN: "123456",
      },
    );
    expect(taken.code).toBe(6);
    expect(taken.stderr).toContain("VOLLY_E_HANDLE_TAKEN");
    const noPin = await runVolly([...alice, "status"]);
    expect(noPin.code).toBe(3);
    expect(noPin.stderr).toContain("VOLLY_E_PROFILE_LOCKED");
  });

  it("a tampered invite is rejected with exit code 7", async () => {
    const invite = await runVolly([...alice, "invite", "--web"], { VOLLY_PIN: "123456" });
    const link = invite.stdout.trim();
    expect(link.startsWith(`${server.url}/i/`)).toBe(true);
    const [payload, sig] = link.slice(`${server.url}/i/`.length).split(".");
    const forged = `volly://invite/${payload}.${sig?.startsWith("A") ? `B${sig.slice(1)}` : `A${sig?.slice(1)}`}`;
    const res = await runVolly([...bob, "accept", forged], { VOLLY_PIN: "654321" });
    expect(res.code).toBe(7);
    expect(res.stderr).toContain("VOLLY_E_INVITE_INVALID");
  });
});

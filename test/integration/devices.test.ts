import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { type CliResult, jsonLines, runVolly, startDeviceLink } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/** Linking a second device, messaging from and to it, and revoking it — real server, real CLI. */
describe("linked devices through the CLI", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-devices-");
  const as = (profile: string) => ["--profile", join(home, profile), "--pin", "123456", "--json"];
  const texts = (r: CliResult) => jsonLines(r.stdout).map((m) => m.text);

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "bob"].map(async (handle) => {
        const r = await runVolly([...as(handle), "init", "--server", server.url, "--handle", handle]);
        expect(r.code, r.stderr).toBe(0);
      }),
    );
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("links a device that then receives and sends in alice's conversations; revoking it cuts it off", async () => {
    const invite = await runVolly([...as("alice"), "invite"]);
    const accepted = await runVolly([...as("bob"), "accept", String(jsonLines(invite.stdout)[0]?.link)]);
    expect(accepted.code, accepted.stderr).toBe(0);
    const { conversationId } = jsonLines(accepted.stdout)[0] as { conversationId: string };
    expect((await runVolly([...as("bob"), "send", "@alice", "before the link"])).code).toBe(0);
    expect(texts(await runVolly([...as("alice"), "receive"]))).toEqual(["before the link"]);

    const link = startDeviceLink(as("alice"));
    const code = await link.code;
    expect(code).toMatch(/^volly-link:http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    const init = await runVolly([...as("laptop"), "init", "--link", code, "--device-name", "laptop"]);
    expect(init.code, init.stderr).toBe(0);
    const laptop = jsonLines(init.stdout)[0] as { handle: string; deviceId: string };
    expect(laptop.handle).toBe("alice");
    const linked = await link.done;
    expect(linked.code, linked.stderr).toBe(0);
    // With --json the new device's fingerprint line is a JSON line on stderr; both devices show the
    // same fingerprint, and both results carry it.
    const { claimed } = jsonLines(init.stderr)[0] as { claimed: { linkId: string; fingerprint: string } };
    expect(code).toContain(`/${claimed.linkId}.`);
    expect(claimed.fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(laptop).toMatchObject({ fingerprint: claimed.fingerprint });
    expect(jsonLines(linked.stdout)[1]).toMatchObject({
      deviceId: laptop.deviceId,
      name: "laptop",
      added: [conversationId],
      failed: [],
      fingerprint: claimed.fingerprint,
    });

    expect((await runVolly([...as("bob"), "send", conversationId, "to both"])).code).toBe(0);
    expect(texts(await runVolly([...as("alice"), "receive"]))).toEqual(["to both"]);
    expect(texts(await runVolly([...as("laptop"), "receive"]))).toEqual(["to both"]);

    const fromLaptop = await runVolly([...as("laptop"), "send", conversationId, "from the laptop"]);
    expect(fromLaptop.code, fromLaptop.stderr).toBe(0);
    expect(texts(await runVolly([...as("bob"), "receive"]))).toEqual(["from the laptop"]);

    const list = jsonLines((await runVolly([...as("alice"), "devices"])).stdout);
    expect(list.map((d) => [d.deviceId === laptop.deviceId, d.current])).toEqual([
      [false, true],
      [true, false],
    ]);
    expect(list[1]).toMatchObject({ name: "laptop", createdAt: expect.any(Number) });

    const revoked = await runVolly([...as("alice"), "devices", "revoke", laptop.deviceId]);
    expect(revoked.code, revoked.stderr).toBe(0);
    // The direct conversation and the account's own (hidden) sync conversation.
    expect(jsonLines(revoked.stdout)[0]).toEqual({ deviceId: laptop.deviceId, departures: 2 });
    expect(jsonLines((await runVolly([...as("alice"), "devices"])).stdout)).toHaveLength(1);

    expect((await runVolly([...as("bob"), "send", conversationId, "after the revocation"])).code).toBe(0);
    // The laptop's message is alice's own: her first device stored it as sent, not as unseen.
    expect(texts(await runVolly([...as("alice"), "receive"]))).toEqual(["after the revocation"]);
    const cutOff = await runVolly([...as("laptop"), "receive"]);
    expect(cutOff.code).toBe(3);
    expect(JSON.parse(cutOff.stderr).error.code).toBe("VOLLY_E_DEVICE_REVOKED");
  }, 300_000);
});

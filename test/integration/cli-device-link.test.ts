import { join } from "node:path";
import { fingerprint } from "@volly/crypto";
import { fromBase64Url } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import {
  type InteractiveVolly,
  jsonLines,
  LINK_CODE,
  runVolly,
  startDeviceLink,
  startInTerminal,
  startVolly,
} from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * `volly devices link` as a newcomer meets it — real server, real CLI processes, a real terminal
 * (a pseudo-terminal from util-linux `script`) where one is needed: the claiming device's name and
 * key fingerprint are shown (the new device shows the same fingerprint) and nothing is approved
 * before the user says yes; a "no" reaches the new device at once.
 */
describe("volly devices link asks before it approves", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-device-link-");
  const as = (profile: string) => ["--profile", join(home, profile), "--pin", "123456"];
  const running: InteractiveVolly[] = [];
  let conversationId = "";

  /**
   * The devices the server's directory lists for alice: names as alice sees them (`volly devices`;
   * the directory shows names to the account itself only), keys from the public directory.
   */
  async function directoryDevices(): Promise<Array<{ name: string; signaturePublicKey: string }>> {
    const listed = await runVolly([...as("alice"), "--json", "devices"]);
    expect(listed.code, listed.stderr).toBe(0);
    const res = await fetch(`${server.url}/v1/accounts/alice`);
    const keys = ((await res.json()) as { devices: Array<{ deviceId: string; signaturePublicKey: string }> })
      .devices;
    return jsonLines(listed.stdout).map((d) => ({
      name: String(d.name),
      signaturePublicKey: keys.find((k) => k.deviceId === d.deviceId)?.signaturePublicKey ?? "",
    }));
  }

  /** Starts `devices link` for alice on a terminal and resolves once it shows its pairing code. */
  async function linkOnTerminal(): Promise<{ terminal: InteractiveVolly; code: string }> {
    const terminal = startInTerminal([...as("alice"), "devices", "link"]);
    running.push(terminal);
    await terminal.waitFor("stdout", "valid 15 minutes");
    const code = LINK_CODE.exec(terminal.output())?.[0];
    if (!code) throw new Error(`no pairing code in: ${terminal.output()}`);
    return { terminal, code };
  }

  /** The fingerprint `devices link` showed for the claiming device named `name`. */
  function shownFingerprint(output: string, name: string): string | undefined {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`claimed the code: '${escaped}', key fingerprint ([A-Za-z0-9_-]{43})`).exec(
      output,
    )?.[1];
  }

  /** The fingerprint `init --link` showed for its own key. */
  const ownFingerprint = (stderr: string) =>
    /This device's key fingerprint: ([A-Za-z0-9_-]{43}) {2}— check that the other device shows the same/.exec(
      stderr,
    )?.[1];

  /** Starts `volly init --link CODE` for a new profile (it waits for approval). */
  function claim(profile: string, code: string, name: string): InteractiveVolly {
    const device = startVolly([...as(profile), "init", "--link", code, "--device-name", name]);
    running.push(device);
    return device;
  }

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "bob"].map(async (handle) => {
        const r = await runVolly([...as(handle), "init", "--server", server.url, "--handle", handle]);
        expect(r.code, r.stderr).toBe(0);
      }),
    );
    const invite = await runVolly([...as("alice"), "invite"]);
    const accepted = await runVolly([...as("bob"), "--json", "accept", invite.stdout.trim()]);
    expect(accepted.code, accepted.stderr).toBe(0);
    conversationId = (jsonLines(accepted.stdout)[0] as { conversationId: string }).conversationId;
  });
  afterAll(async () => {
    for (const p of running) p.kill();
    await server?.stop();
  });

  it("without a terminal and without --yes it refuses with a usage error that names --yes (exit 2)", async () => {
    const r = await runVolly([...as("alice"), "devices", "link"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error VOLLY_E_USAGE: .*stdin is not a terminal: pass --yes/);
    const json = await runVolly([...as("alice"), "--json", "devices", "link"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr).error.code).toBe("VOLLY_E_USAGE");
  });

  it("over a pipe with --yes: no QR and no escape codes; the new device lists its conversations at once", async () => {
    const link = startDeviceLink(as("alice"));
    const init = await runVolly([
      ...as("laptop"),
      "init",
      "--link",
      await link.code,
      "--device-name",
      "laptop",
    ]);
    expect(init.code, init.stderr).toBe(0);
    const linked = await link.done;
    expect(linked.code, linked.stderr).toBe(0);
    expect(linked.stdout).toMatch(/^volly-link:\S+\nlinked laptop \(/);
    expect(linked.stderr).toContain("On the new device run: volly init --link");
    expect(linked.stderr).toMatch(
      /claimed the code: 'laptop', key fingerprint [A-Za-z0-9_-]{43}; approving it/,
    );
    // The QR (ANSI colours and half blocks) is for a terminal only.
    expect(linked.stderr).not.toContain("\x1b");
    expect(linked.stderr).not.toMatch(/[▀▄█]/);

    // Freshly linked and never connected: `conversations` and `groups` sync before they list.
    const list = await runVolly([...as("laptop"), "--json", "conversations"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toBe("");
    expect(jsonLines(list.stdout)).toEqual([expect.objectContaining({ id: conversationId, with: "bob" })]);
  });

  it("on a terminal: QR, then the claiming device's name and key fingerprint; approved only after 'y'", async () => {
    const { terminal, code } = await linkOnTerminal();
    expect(terminal.output()).toContain("\x1b[47m"); // the QR code, drawn in colour on the terminal
    const device = claim("desk", code, "Alice's desk");
    await terminal.waitFor("stdout", "Approve 'Alice's desk'? [y/N]");
    // Shown before approval: the server does not know the device yet.
    expect((await directoryDevices()).map((d) => d.name)).toEqual(["cli", "laptop"]);

    terminal.type("y");
    const result = await terminal.done;
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/linked Alice's desk \([A-Za-z0-9_-]{22}\); added to 1 conversation/);
    const linked = await device.done;
    expect(linked.code, linked.stderr).toBe(0);
    expect(linked.stdout).toContain("Linked this device to @alice");
    const desk = (await directoryDevices()).find((d) => d.name === "Alice's desk");
    // The fingerprint shown on both devices is the SHA-256 of the key the server then registered.
    const shown = shownFingerprint(result.stdout, "Alice's desk");
    expect(shown).toBe(fingerprint(fromBase64Url(desk?.signaturePublicKey ?? "")));
    expect(ownFingerprint(linked.stderr)).toBe(shown);
  });

  it("on a terminal: 'n' declines — nothing approved, exit 6 VOLLY_E_LINK_DECLINED on both devices at once", async () => {
    const { terminal, code } = await linkOnTerminal();
    // A name with an escape sequence (clear screen) is shown defused.
    const device = claim("phone", code, "Mallory\x1b[2J phone");
    await terminal.waitFor("stdout", "Approve 'Mallory\uFFFD[2J phone'? [y/N]");
    // The new device shows its own key's fingerprint: the one the approving device shows.
    await device.waitFor("stderr", "Waiting for the existing device to approve 'Mallory\uFFFD[2J phone'");
    expect(terminal.output()).toContain("Check that the new device shows the same fingerprint.");
    terminal.type("n");
    const result = await terminal.done;
    expect(result.code).toBe(6);
    expect(result.stdout).toContain("error VOLLY_E_LINK_DECLINED: Not approved: 'Mallory\uFFFD[2J phone'");
    expect(result.stdout).toContain("The new device was told");
    expect(result.stdout).not.toContain("\x1b[2J");

    // Told at its next poll (every second), not when the code expires 15 minutes later.
    await device.waitFor("stderr", "error VOLLY_E_LINK_DECLINED", 30_000);
    const declined = await device.done;
    expect(declined.code).toBe(6);
    expect(declined.stdout).toBe("");
    expect(declined.stderr).toContain(
      "error VOLLY_E_LINK_DECLINED: The existing device declined this device",
    );
    const own = ownFingerprint(declined.stderr);
    expect(own).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(shownFingerprint(result.stdout, "Mallory\uFFFD[2J phone")).toBe(own);
    expect((await directoryDevices()).map((d) => d.name)).toEqual(["cli", "laptop", "Alice's desk"]);

    // The code is used up: declined for good, no one else can claim it.
    const linkId = /\/([A-Za-z0-9_-]{22})\./.exec(code)?.[1];
    const status = (await (await fetch(`${server.url}/v1/device-links/${linkId}`)).json()) as {
      status: string;
    };
    expect(status.status).toBe("declined");
    const again = await runVolly([...as("tablet"), "--json", "init", "--link", code]);
    expect(again.code).toBe(6);
    expect(JSON.parse(again.stderr).error.code).toBe("VOLLY_E_LINK_DECLINED");
    // Nothing was sealed on the declined device: its directory takes a new code.
    const retry = startDeviceLink(as("alice"));
    const relinked = await runVolly([...as("phone"), "--json", "init", "--link", await retry.code]);
    expect(relinked.code, relinked.stderr).toBe(0);
    expect((await retry.done).code).toBe(0);
  });
});

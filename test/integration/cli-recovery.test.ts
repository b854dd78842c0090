import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatRecoveryKey } from "@volly/crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { type CliResult, jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * Restoring an account with only its recovery key — real server process, real CLI: every device
 * lost (its profile directory deleted), the account restored on a new device, the lost device
 * revoked, the existing conversation rejoined by external commit, and the contact's messages reach
 * the restored account. Wrong and malformed keys are refused with typed errors.
 */
describe("account recovery through the CLI", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-recovery-");
  const as = (profile: string) => ["--profile", join(home, profile), "--pin", "123456", "--json"];
  const texts = (r: CliResult) => jsonLines(r.stdout).map((m) => m.text);
  const errorOf = (r: CliResult) =>
    (jsonLines(r.stderr)[0] as { error?: { code?: string } } | undefined)?.error;
  let recoveryKey = "";

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "bob"].map(async (handle) => {
        const r = await runVolly([...as(handle), "init", "--server", server.url, "--handle", handle]);
        expect(r.code, r.stderr).toBe(0);
        if (handle === "alice") recoveryKey = String(jsonLines(r.stdout)[0]?.recoveryKey);
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("prints a recovery key once at init and reports it configured", async () => {
    expect(recoveryKey).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/);
    const status = await runVolly([...as("alice"), "recovery-key", "--status"]);
    expect(status.code, status.stderr).toBe(0);
    expect(jsonLines(status.stdout)[0]).toMatchObject({ configured: true, keepsBackup: true });
  });

  it("restores the account from the recovery key alone; the contact reaches it in the old conversation", async () => {
    const invite = await runVolly([...as("alice"), "invite"]);
    const accepted = await runVolly([...as("bob"), "accept", String(jsonLines(invite.stdout)[0]?.link)]);
    expect(accepted.code, accepted.stderr).toBe(0);
    const { conversationId } = jsonLines(accepted.stdout)[0] as { conversationId: string };
    expect((await runVolly([...as("bob"), "send", conversationId, "before the loss"])).code).toBe(0);
    expect(texts(await runVolly([...as("alice"), "receive"]))).toEqual(["before the loss"]);
    const lostDevice = String(jsonLines((await runVolly([...as("alice"), "devices"])).stdout)[0]?.deviceId);

    // Every device lost: only the recovery key is left.
    rmSync(join(home, "alice"), { recursive: true, force: true });
    const keyFile = join(home, "alice-recovery-key.txt");
    writeFileSync(keyFile, `${recoveryKey.toLowerCase()}\n`);

    const wrongFile = join(home, "wrong-key.txt");
    writeFileSync(wrongFile, formatRecoveryKey(new Uint8Array(32).fill(7)));
    const wrong = await runVolly([
      ...as("alice-wrong"),
      "recover",
      "--server",
      server.url,
      "--handle",
      "alice",
      "--recovery-key-file",
      wrongFile,
    ]);
    expect(wrong.code).toBe(3);
    expect(errorOf(wrong)?.code).toBe("VOLLY_E_RECOVERY_FAILED");
    const malformed = await runVolly(
      [...as("alice-malformed"), "recover", "--server", server.url, "--handle", "alice"],
      {},
      "not a recovery key",
    );
    expect(malformed.code).toBe(2);
    expect(errorOf(malformed)?.code).toBe("VOLLY_E_RECOVERY_KEY_INVALID");

    const restored = await runVolly([
      ...as("alice"),
      "recover",
      "--server",
      server.url,
      "--handle",
      "alice",
      "--recovery-key-file",
      keyFile,
      "--device-name",
      "new phone",
    ]);
    expect(restored.code, restored.stderr).toBe(0);
    const result = jsonLines(restored.stdout)[0] as {
      handle: string;
      deviceId: string;
      revokedDeviceIds: string[];
      backupRestored: boolean;
      rejoined: string[];
      failed: unknown[];
    };
    expect(result).toMatchObject({
      handle: "alice",
      revokedDeviceIds: [lostDevice],
      backupRestored: true,
      failed: [],
    });
    expect(result.rejoined).toContain(conversationId);

    // The lost device is revoked: only the new one is listed.
    const devices = jsonLines((await runVolly([...as("alice"), "devices"])).stdout);
    expect(devices.map((d) => d.deviceId)).toEqual([result.deviceId]);

    // The contact writes in the existing conversation; the restored account reads it, and answers.
    const sent = await runVolly([...as("bob"), "send", conversationId, "after the restore"]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(texts(await runVolly([...as("alice"), "receive"]))).toEqual(["after the restore"]);
    const answer = await runVolly([...as("alice"), "send", conversationId, "I am back"]);
    expect(answer.code, answer.stderr).toBe(0);
    expect(texts(await runVolly([...as("bob"), "receive"]))).toEqual(["I am back"]);

    // The restored device keeps the backup going.
    const status = await runVolly([...as("alice"), "recovery-key", "--status"]);
    expect(jsonLines(status.stdout)[0]).toMatchObject({ configured: true, keepsBackup: true });
  }, 240_000);
});

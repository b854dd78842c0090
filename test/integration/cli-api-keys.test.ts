import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly, startDeviceLink } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * API keys end to end with a real `volly serve` and CLI processes (no terminal): a bot created
 * unattended gets its first key in --api-key-file and never a PIN; every command runs with the key;
 * the key is not stored in clear; rotation re-seals the profile; revocation cuts the bot off.
 */
describe("API keys for unattended bots", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-apikeys-");
  const keyFile = join(home, "echo.key");
  const bot = ["--profile", join(home, "echo"), "--api-key-file", keyFile, "--json"];
  const ann = ["--profile", join(home, "ann"), "--pin", "135790", "--json"];

  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("init without a PIN writes a key; commands run with it; rotate and revoke", async () => {
    const init = await runVolly([
      ...bot,
      "init",
      "--type",
      "bot",
      "--handle",
      "echo",
      "--server",
      server.url,
    ]);
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    const key = readFileSync(keyFile, "utf8").trim();
    expect(key).toMatch(/^vly_[0-9A-Za-z]{38}$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(jsonLines(init.stdout)[0]).toMatchObject({ handle: "echo", apiKey: key });

    // The key is never in the server's database in clear.
    for (const f of readdirSync(server.dataDir)) {
      const path = join(server.dataDir, f);
      if (statSync(path).isFile()) expect(readFileSync(path).includes(Buffer.from(key))).toBe(false);
    }

    expect((await runVolly([...ann, "init", "--handle", "ann", "--server", server.url])).code).toBe(0);
    const sent = await runVolly([...bot, "send", "@ann", "hello from a key"]);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const got = await runVolly([...ann, "receive"]);
    expect(jsonLines(got.stdout)).toEqual([
      expect.objectContaining({ from: "echo", text: "hello from a key" }),
    ]);

    // The same with VOLLY_API_KEY instead of the file, and a malformed key refused before any lookup.
    const env = await runVolly(["--profile", join(home, "echo"), "--json", "apikey", "list"], {
      VOLLY_API_KEY: key,
    });
    expect(env.code).toBe(0);
    const listed = jsonLines(env.stdout);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ hint: key.slice(0, 8), scopes: ["send", "read", "manage"] });
    expect(JSON.stringify(listed)).not.toContain(key);
    const bad = await runVolly(["--profile", join(home, "echo"), "--json", "status"], {
      VOLLY_API_KEY: `${key.slice(0, -1)}${key.endsWith("0") ? "1" : "0"}`,
    });
    expect(bad.code).not.toBe(0);
    expect(JSON.parse(bad.stderr).error.code).toBe("VOLLY_E_API_KEY_INVALID");

    // A read-only key: its session cannot send (403 typed error).
    const ro = await runVolly([...bot, "apikey", "create", "--name", "reader", "--scope", "read"]);
    expect(ro.code).toBe(0);
    const readOnly = jsonLines(ro.stdout)[0] as { id: string; key: string };

    // Rotation: the profile is re-sealed under the new key and the file rewritten; the old key still
    // signs in during the overlap (it opens the profile no more).
    const id = (listed[0] as { id: string }).id;
    const rot = await runVolly([...bot, "apikey", "rotate", id, "--overlap", "1h"]);
    expect(rot.stderr).toBe("");
    expect(rot.code).toBe(0);
    const newKey = readFileSync(keyFile, "utf8").trim();
    expect(newKey).not.toBe(key);
    expect(jsonLines(rot.stdout)[0]).toMatchObject({ key: newKey, resealed: true });
    const after = await runVolly([...bot, "send", "@ann", "after rotation"]);
    expect(after.code).toBe(0);

    // Revocation cuts the bot off: the device is bound to key authentication.
    const listAfter = jsonLines((await runVolly([...bot, "apikey", "list"])).stdout) as Array<{
      id: string;
      name: string;
    }>;
    const current = listAfter.find((k) => k.id !== id && k.id !== readOnly.id);
    expect(current).toBeDefined();
    expect((await runVolly([...bot, "apikey", "revoke", readOnly.id])).code).toBe(0);
    expect((await runVolly([...bot, "apikey", "revoke", (current as { id: string }).id])).code).toBe(0);
    const cut = await runVolly([...bot, "send", "@ann", "after revocation"]);
    expect(cut.code).not.toBe(0);
    expect(JSON.parse(cut.stderr.trim().split("\n").at(-1) as string).error.code).toBe(
      "VOLLY_E_API_KEY_REVOKED",
    );
  });

  it("a headless device joins the account with a pairing code and a key, no PIN typed", async () => {
    const relayKey = join(home, "relay.key");
    const relay = ["--profile", join(home, "relay"), "--api-key-file", relayKey];
    const init = await runVolly([
      ...relay,
      "init",
      "--type",
      "device",
      "--handle",
      "relay",
      "--server",
      server.url,
    ]);
    expect(init.code, init.stderr).toBe(0);
    const second = await runVolly([...relay, "--json", "apikey", "create", "--name", "relay-2"]);
    const key2 = (jsonLines(second.stdout)[0] as { key: string }).key;

    const link = startDeviceLink(relay);
    const joined = await runVolly(
      ["--profile", join(home, "relay-2"), "--json", "init", "--link", await link.code],
      {
        VOLLY_API_KEY: key2,
      },
    );
    expect(joined.code, joined.stderr).toBe(0);
    expect((await link.done).code).toBe(0);
    const status = await runVolly(["--profile", join(home, "relay-2"), "--json", "status"], {
      VOLLY_API_KEY: key2,
    });
    expect(status.code, status.stderr).toBe(0);
    expect(jsonLines(status.stdout)[0]).toMatchObject({ handle: "relay" });
    // The PIN keystore is gone: no PIN opens the headless profile.
    const pin = await runVolly(["--profile", join(home, "relay-2"), "--pin", "000000", "--json", "status"]);
    expect(pin.code).not.toBe(0);
  });
});

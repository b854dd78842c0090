import { randomInt } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { VollyClient } from "@volly/client";
import { sealNodeProfileWithApiKey } from "@volly/client/node";
import { assertWellFormedApiKey, VollyError } from "@volly/protocol";
import type { GlobalOptions } from "./options.js";
import { resolvePin } from "./pin.js";

/**
 * The API key for this run: `VOLLY_API_KEY`, else the first line of `--api-key-file` when that file
 * exists; undefined when neither. Checked for shape and checksum (no server lookup).
 *
 * @throws VollyError VOLLY_E_API_KEY_INVALID (malformed), VOLLY_E_USAGE (unreadable file)
 */
export function resolveApiKey(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.VOLLY_API_KEY) return assertWellFormedApiKey(env.VOLLY_API_KEY.trim());
  if (opts.apiKeyFile === undefined || !existsSync(opts.apiKeyFile)) return undefined;
  let text: string;
  try {
    text = readFileSync(opts.apiKeyFile, "utf8");
  } catch (err) {
    throw new VollyError("VOLLY_E_USAGE", `Cannot read --api-key-file ${opts.apiKeyFile}: ${String(err)}`);
  }
  return assertWellFormedApiKey(text.split("\n")[0]?.trim() ?? "");
}

/** Writes a key to `file` with mode 0600 (replacing it), one line. */
export function writeApiKeyFile(file: string, key: string): void {
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
}

/**
 * The PIN a new profile (`volly init`, `init --link`) is sealed with. Unattended — `--api-key-file`
 * given, `VOLLY_API_KEY` set, or no terminal and no PIN — a random one that is never shown: the
 * profile is then sealed under an API key and the PIN keystore removed ({@link finishKeySetup}).
 *
 * @returns the PIN and whether it was generated
 */
export async function newProfilePin(g: GlobalOptions): Promise<{ pin: string; generated: boolean }> {
  const given = g.pin ?? process.env.VOLLY_PIN;
  if (given) return { pin: given, generated: false };
  const unattended = g.apiKeyFile !== undefined || Boolean(process.env.VOLLY_API_KEY) || !process.stdin.isTTY;
  if (unattended) return { pin: String(randomInt(0, 1_000_000)).padStart(6, "0"), generated: true };
  return { pin: await resolvePin(undefined, "Choose a 6-digit PIN: "), generated: false };
}

/**
 * After a new profile was created or linked: when the run is unattended, seals the profile under an
 * API key — the one given (VOLLY_API_KEY / an existing --api-key-file; a linked device of an account
 * that has keys), else a new key created now with every scope and written to --api-key-file (0600)
 * — and, when the PIN was generated, removes the PIN keystore so only the key opens the profile.
 * `client` must be open and is closed here.
 *
 * @returns the new key's text when one was created (to print once), else undefined
 */
export async function finishKeySetup(
  client: VollyClient,
  dir: string,
  g: GlobalOptions,
  pin: { pin: string; generated: boolean },
  keyName: string,
): Promise<{ created?: string; sealed: boolean }> {
  let key: string | undefined;
  let created: string | undefined;
  try {
    key = resolveApiKey(g);
    if (key === undefined && (pin.generated || g.apiKeyFile !== undefined)) {
      created = (await client.apiKeys.create({ name: keyName })).key;
      key = created;
    }
  } finally {
    await client.close();
  }
  if (key === undefined) return { sealed: false };
  await sealNodeProfileWithApiKey(dir, pin.pin, key, { removePin: pin.generated });
  if (created !== undefined && g.apiKeyFile !== undefined) writeApiKeyFile(g.apiKeyFile, created);
  return { ...(created !== undefined ? { created } : {}), sealed: true };
}

import type { VollyClient, VollyClientOptions } from "@volly/client";
import {
  initNodeProfile,
  openNodeClient,
  openNodeClientWithApiKey,
  profileExists,
  startLanTransport,
  weriftPeerFactory,
} from "@volly/client/node";
import { VollyError } from "@volly/protocol";
import type { BotOptions } from "../bot-api.js";
import type { BotLog } from "../log.js";
import { botKdfOption } from "./test-kdf.js";

/**
 * Opens the bot's profile in `options.dir` with `options.apiKey` (sessions then carry the key) or
 * else `options.secret`, or — when the directory holds no
 * profile yet — creates one without any prompt: a new account `options.handle` of entity type
 * `options.type` (default "bot") registered on `options.server`, its device named "bot", its first
 * key packages uploaded. The client is not connected yet.
 *
 * @throws VollyError VOLLY_E_USAGE (a new profile without `server`, `handle` or `secret`),
 *   VOLLY_E_API_KEY_INVALID (the key does not open this profile), VOLLY_E_WRONG_PIN,
 *   VOLLY_E_PIN_INVALID (the secret is not 6 digits), VOLLY_E_HANDLE_TAKEN,
 *   VOLLY_E_SERVER_UNREACHABLE, and the other errors of `initNodeProfile` / `openNodeClient`
 */
export async function openOrCreateProfile(options: BotOptions, log: BotLog): Promise<VollyClient> {
  const extra: Partial<VollyClientOptions> = options.direct
    ? { direct: { peers: weriftPeerFactory(), lan: await startLanTransport() } }
    : {};
  try {
    return await openOrCreate(options, log, extra);
  } catch (err) {
    await extra.direct?.lan?.stop();
    throw err;
  }
}

async function openOrCreate(
  options: BotOptions,
  log: BotLog,
  extra: Partial<VollyClientOptions>,
): Promise<VollyClient> {
  if (await profileExists(options.dir)) {
    if (options.apiKey !== undefined) return openNodeClientWithApiKey(options.dir, options.apiKey, extra);
    return openNodeClient(options.dir, options.secret ?? "", extra);
  }
  const { server, handle, secret } = options;
  if (!server || !handle || secret === undefined) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `No profile in ${options.dir} yet: give \`server\`, \`handle\` and \`secret\` (a PIN) to create one.`,
    );
  }
  const client = await initNodeProfile(
    options.dir,
    {
      serverUrl: server,
      handle,
      pin: secret,
      entityType: options.type ?? "bot",
      deviceName: "bot",
      ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
      ...botKdfOption(),
    },
    extra,
  );
  log(`created the account @${handle} (${options.type ?? "bot"}) on ${server}, profile in ${options.dir}`);
  return client;
}

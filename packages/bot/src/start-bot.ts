import { VollyError } from "@volly/protocol";
import { type BotParts, VollyBot } from "./bot.js";
import type { Bot, BotOptions } from "./bot-api.js";
import { MessageDelivery } from "./incoming/message-delivery.js";
import { SenderTypes } from "./incoming/sender-types.js";
import { stderrLog } from "./log.js";
import { autoJoin } from "./membership/auto-join.js";
import { checkBotOptions } from "./profile/bot-options.js";
import { openOrCreateProfile } from "./profile/open-profile.js";
import { announceRecoveries } from "./recovery/recovery-notice.js";

/**
 * How long a bot with direct paths waits for the server at start before it goes on without it (ms):
 * on a LAN without a server it still sends and receives directly.
 */
export const DIRECT_CONNECT_WAIT_MS = 10_000;

/**
 * Starts a machine member (a bot, an AI agent, a service or a device): opens its profile in
 * `options.dir` — creating the account and profile without any prompt when the directory has none
 * — connects to the server and resolves once the backlog this device missed has been processed
 * (groups it was added to meanwhile are joined, lost group states rejoined). Then register
 * listeners: messages that arrived while it was stopped are handed to the first `onMessage` /
 * `onEvent` listeners, once each (see `incoming/message-delivery.ts`).
 *
 * While it runs it joins the groups and community channels it is invited to (`autoJoin`, default
 * on; `membership/auto-join.ts`) and, when it lost the keys of a conversation, rejoins it by
 * external commit and says so in that conversation and in its log (`recovery/recovery-notice.ts`).
 *
 * @param options profile directory and secret; `server` and `handle` to create a new account
 * @returns the connected bot; call `close()` to stop it
 * @throws VollyError VOLLY_E_USAGE (bad options, or a new profile without `server`/`handle`),
 *   VOLLY_E_PIN_INVALID, VOLLY_E_WRONG_PIN, VOLLY_E_HANDLE_TAKEN, VOLLY_E_SERVER_UNREACHABLE (no
 *   server within 30 s; with `direct` the bot goes on after {@link DIRECT_CONNECT_WAIT_MS} without
 *   it), VOLLY_E_DEVICE_REVOKED; the profile is closed again on any failure
 */
export async function startBot(options: BotOptions): Promise<Bot> {
  checkBotOptions(options);
  const log = options.log ?? stderrLog;
  const client = await openOrCreateProfile(options, log);
  const senders = new SenderTypes(client);
  const stop: Array<() => void> = [];
  const parts: BotParts = { client, senders, stop };
  const bot = new VollyBot(parts);
  const delivery = new MessageDelivery(client, senders, bot, log);
  parts.delivery = delivery;
  // Listeners go on before connect: the backlog processed while connecting fires them too.
  stop.push(delivery.start(), announceRecoveries(client, log));
  if (options.autoJoin !== false) stop.push(autoJoin(client, log));
  try {
    await client.connect(options.direct ? DIRECT_CONNECT_WAIT_MS : undefined);
  } catch (err) {
    // With direct paths the member works on the LAN without a server ("airplane mode"): it goes on,
    // and the connection keeps trying in the background.
    if (!(options.direct && err instanceof VollyError && err.code === "VOLLY_E_SERVER_UNREACHABLE")) {
      await bot.close();
      throw err;
    }
    log("the server cannot be reached: going on with direct paths only; the connection keeps trying");
  }
  return bot;
}

import { join } from "node:path";
import { type Bot, startBot } from "@volly/bot";
import type { MemberUnlock } from "../member-unlock.js";
import { EventHub } from "./event-hub.js";
import { buildDaemonApp } from "./http-app.js";
import type { ListenAddress } from "./listen-address.js";
import { loadOrCreateLocalKey } from "./local-key.js";
import type { WebhookFlag } from "./webhook-flags.js";
import { openWebhookSink } from "./webhook-sink.js";

/** Everything `volly daemon` needs, parsed and checked by commands/daemon.ts. */
export interface DaemonOptions {
  /** The profile directory (the member's store, sealed at rest). */
  profile: string;
  /** What unseals the profile: the account's API key, or the PIN. */
  unlock: MemberUnlock;
  listen: ListenAddress;
  /** The local API key file (default PROFILE/daemon.key). */
  keyFile: string;
  webhooks: WebhookFlag[];
  /** Direct paths to member devices (WebRTC, mDNS on the LAN): `--direct`. */
  direct?: boolean;
  /** Prints a line for the operator (stderr). */
  log(line: string): void;
  /** Called once listening, with the API's base URL (`http://127.0.0.1:PORT`). */
  onListening(url: string): void;
  /** Resolves when the daemon should stop (SIGINT/SIGTERM). */
  stopped: Promise<void>;
}

/**
 * Runs the daemon until `stopped` resolves: opens the member with `startBot`, serves the local HTTP
 * API, forwards every event to SSE streams and webhooks, then closes everything in order (HTTP
 * first so no request reaches a closed member, then webhooks, then the member).
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const local = await loadOrCreateLocalKey(options.keyFile);
  if (local.created) {
    options.log(
      `volly daemon: new local API key (saved in ${options.keyFile}, mode 0600; shown only this once):\n${local.key}`,
    );
  }
  const bot: Bot = await startBot({
    dir: options.profile,
    ...options.unlock,
    ...(options.direct ? { direct: true } : {}),
  });
  try {
    const hub = new EventHub();
    const sink = await openWebhookSink(options.webhooks, join(options.profile, "webhooks"), options.log);
    if (sink) hub.subscribe((event) => sink.enqueue(event));
    const unsubscribe = bot.onEvent((event) => hub.publish(event));
    const { app } = buildDaemonApp({
      bot,
      hub,
      key: local.key,
      onInternalError: (error) =>
        options.log(`volly daemon: internal error: ${error instanceof Error ? error.stack : String(error)}`),
    });
    const address = await app.listen({ host: options.listen.host, port: options.listen.port });
    options.onListening(address);
    await options.stopped;
    await app.close();
    unsubscribe();
    await sink?.close();
  } finally {
    await bot.close();
  }
}

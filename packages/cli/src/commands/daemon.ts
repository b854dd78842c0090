import { join } from "node:path";
import type { Command } from "commander";
import { parseListenAddress } from "../daemon/listen-address.js";
import { WebhookFlags } from "../daemon/webhook-flags.js";
import { memberUnlock } from "../member-unlock.js";
import { profileDir } from "../options.js";
import type { Run } from "../output.js";

/** Options of `volly daemon`. */
interface DaemonFlags {
  http: string;
  keyFile?: string;
  allowNonLoopback?: boolean;
  direct?: boolean;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/**
 * `volly daemon --http 127.0.0.1:PORT [--key-file FILE] [--webhook URL --webhook-secret whsec_…]…`:
 * runs this profile's member and serves the local HTTP API (docs/machine-members/daemon.md) until
 * SIGINT/SIGTERM. Prints `listening http://HOST:PORT` on stdout (`{"url"}` with --json) once ready.
 */
export function registerDaemon(program: Command, run: Run) {
  const webhooks = new WebhookFlags();
  program
    .command("daemon")
    .description(
      "run this profile as a member and serve a local HTTP API (OpenAPI 3.1 at /v1/openapi.json, " +
        "events as SSE at /v1/events, outbound Standard Webhooks) on the loopback address --http",
    )
    .requiredOption("--http <host:port>", "where to listen, e.g. 127.0.0.1:8787 (port 0: any free port)")
    .option(
      "--key-file <file>",
      "the local API key file (default PROFILE/daemon.key; created 0600 if missing)",
    )
    .option(
      "--webhook <url>",
      "POST every event to this URL, signed per Standard Webhooks (repeatable)",
      (v: string) => webhooks.url(v),
    )
    .option(
      "--webhook-secret <whsec>",
      "a whsec_… signing secret of the --webhook before it (repeat for rotation)",
      (v: string) => webhooks.secret(v),
    )
    .option("--allow-non-loopback", "allow --http on an address other than 127.0.0.1/::1 (plaintext API!)")
    .option(
      "--direct",
      "open direct paths to member devices: announce and browse on the LAN (mDNS), WebRTC data channels " +
        "signaled inside MLS; messages keep flowing on the LAN while the server is unreachable",
    )
    .action((o: DaemonFlags) =>
      run(async (out, g) => {
        const listen = parseListenAddress(o.http, Boolean(o.allowNonLoopback));
        const endpoints = webhooks.complete();
        const profile = profileDir(g);
        // Loaded here, not at start-up: every other command would pay for Fastify and the bot SDK.
        const { runDaemon } = await import("../daemon/run-daemon.js");
        await runDaemon({
          profile,
          unlock: await memberUnlock(g),
          listen,
          keyFile: o.keyFile ?? join(profile, "daemon.key"),
          webhooks: endpoints,
          ...(o.direct ? { direct: true } : {}),
          log: (line) => process.stderr.write(`${line}\n`),
          onListening: (url) => out.result({ url }, `listening ${url}`),
          stopped: untilSignal(),
        });
      }),
    );
}

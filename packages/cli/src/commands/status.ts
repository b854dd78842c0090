import {
  type DirectPeer,
  type DirectPeersRecord,
  type OwnStatus,
  profileServerUrls,
  type VollyClient,
} from "@volly/client";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { printable } from "../format.js";
import type { Run } from "../output.js";
import { describeServers } from "../server-urls.js";
import { parseStatusArg, parseUntilArg } from "../status-args.js";
import { withClient } from "../with-client.js";

/** Options of `volly status set`. */
interface SetOptions {
  text?: string;
  until?: string;
}

/** One line for a status: `dnd — "in a meeting" until 2026-…Z`. */
function describeStatus(status: OwnStatus): string {
  const text = status.text !== undefined ? ` — "${printable(status.text)}"` : "";
  const until = status.until !== undefined ? ` until ${new Date(status.until).toISOString()}` : "";
  return `${status.status}${text}${until}`;
}

/**
 * What `volly status` says of direct paths: those the profile's running member process (`volly
 * daemon --direct`) last recorded, or that none runs.
 */
function directPaths(record: DirectPeersRecord | undefined): {
  running: boolean;
  at: number | null;
  peers: DirectPeer[];
} {
  return {
    running: record?.running ?? false,
    at: record?.at ?? null,
    peers: record?.running ? record.peers : [],
  };
}

/** One line per direct peer: `direct bob (lan, since 2026-…Z)`, or why there are none. */
function describeDirect(direct: ReturnType<typeof directPaths>): string {
  if (!direct.running) return "direct paths off (run volly daemon --direct)";
  if (direct.peers.length === 0) return "direct peers none";
  return direct.peers
    .map(
      (p) =>
        `direct @${printable(p.handle)} device ${p.deviceId} (${p.via}, since ${new Date(p.since).toISOString()})`,
    )
    .join("\n");
}

/** The account's status from the server, or undefined when it cannot be reached. */
async function currentStatus(client: VollyClient): Promise<OwnStatus | undefined> {
  try {
    return await client.presence.refreshStatus();
  } catch (err) {
    if (err instanceof VollyError && err.code === "VOLLY_E_SERVER_UNREACHABLE") return undefined;
    throw err;
  }
}

/**
 * `volly status`: who this device is, the account's status (online, idle, dnd, invisible and the
 * custom text; "unknown" when the server cannot be reached), queued messages, undecryptable counts
 * by cause, how many times it rejoined a group by external commit (`recoveries`), and the direct
 * paths to member devices that the profile's running `volly daemon --direct` has open.
 *
 * `volly status set online|idle|dnd|invisible [--text TEXT] [--until ISO-8601]`: sets the account's
 * status for all its devices; `--until` expires the custom text. A bad status, text or date is a
 * usage error (exit 2) and nothing is sent.
 */
export function registerStatus(program: Command, run: Run) {
  const status = program
    .command("status")
    .description(
      "show this device, its servers, the account's status, queued messages and messages it could not decrypt",
    )
    .action(() =>
      run(async (out, g) => {
        const status = await withClient(g, async (client) => {
          const p = client.profile;
          return {
            handle: p.handle,
            accountId: p.accountId,
            deviceId: p.deviceId,
            server: p.serverUrl,
            servers: profileServerUrls(p),
            ciphersuite: p.ciphersuite,
            presence: (await currentStatus(client)) ?? null,
            outbox: await client.messaging.pendingCount(),
            undecryptable: await client.messaging.undecryptable(),
            recoveries: await client.messaging.recoveries(),
            direct: directPaths(await client.direct.recorded()),
          };
        });
        const utd = Object.values(status.undecryptable).reduce((a, b) => a + b, 0);
        const shown = status.presence ? describeStatus(status.presence) : "unknown (server unreachable)";
        out.result(
          status,
          `@${status.handle} on ${describeServers(status.servers)}\ndevice ${status.deviceId}\nstatus ${shown}\nqueued ${status.outbox}, undecryptable ${utd}, recoveries ${status.recoveries}\n${describeDirect(status.direct)}`,
        );
      }),
    );
  status
    .command("set")
    .description(
      "set the account's status for all its devices: online, idle, dnd (do not disturb) or invisible " +
        "(others see you offline); --text sets a custom status text (up to 128 characters), --until " +
        "(ISO-8601) when that text is cleared",
    )
    .argument("<status>", "online | idle | dnd | invisible")
    .option("--text <text>", "custom status text (1–128 characters, no control characters)")
    .option("--until <iso-8601>", "when the custom text expires, e.g. 2026-01-31T18:00Z (needs --text)")
    .action((statusArg: string, opts: SetOptions) =>
      run(async (out, g) => {
        const chosen = parseStatusArg(statusArg);
        const until = opts.until !== undefined ? parseUntilArg(opts.until, Date.now()) : undefined;
        if (until && opts.text === undefined) throw new VollyError("VOLLY_E_USAGE", "--until needs --text.");
        const set = await withClient(g, (client) =>
          client.presence.setStatus(chosen, {
            ...(opts.text !== undefined ? { text: opts.text } : {}),
            ...(until ? { until } : {}),
          }),
        );
        out.result(set, `status ${describeStatus(set)}`);
      }),
    );
}

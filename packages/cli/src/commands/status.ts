import { profileServerUrls } from "@volly/client";
import type { Command } from "commander";
import type { Run } from "../output.js";
import { describeServers } from "../server-urls.js";
import { withClient } from "../with-client.js";

/**
 * `volly status`: who this device is, queued messages, undecryptable counts by cause and how many
 * times it rejoined a group by external commit (`recoveries`).
 */
export function registerStatus(program: Command, run: Run) {
  program
    .command("status")
    .description("show this device, its servers, queued messages and messages it could not decrypt")
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
            outbox: await client.messaging.pendingCount(),
            undecryptable: await client.messaging.undecryptable(),
            recoveries: await client.messaging.recoveries(),
          };
        });
        const utd = Object.values(status.undecryptable).reduce((a, b) => a + b, 0);
        out.result(
          status,
          `@${status.handle} on ${describeServers(status.servers)}\ndevice ${status.deviceId}\nqueued ${status.outbox}, undecryptable ${utd}, recoveries ${status.recoveries}`,
        );
      }),
    );
}

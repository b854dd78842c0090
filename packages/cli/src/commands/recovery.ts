import { readFile } from "node:fs/promises";
import { profileServerUrls } from "@volly/client";
import { profileExists, recoverNodeProfile } from "@volly/client/node";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { profileDir } from "../options.js";
import type { Run } from "../output.js";
import { readSecret, resolvePin } from "../pin.js";
import { kdfOption } from "../profile-kdf.js";
import { describeServers, resolveServerUrls } from "../server-urls.js";
import { withClient } from "../with-client.js";

/** Options of `volly recover`. */
interface RecoverOptions {
  server?: string[];
  handle?: string;
  recoveryKeyFile?: string;
  deviceName: string;
}

/**
 * `volly recover --handle H [--server URL …] [--recovery-key-file F] [--device-name N]`: restores an
 * account whose every device is lost, with its recovery key (read from the file, else asked on the
 * terminal, else read from stdin), into a new profile: this device is registered, every other
 * device of the account revoked, the account backup (contacts, conversation list, settings)
 * restored and every conversation rejoined by external commit — older messages cannot come back.
 *
 * `volly recovery-key [--status]`: creates a new recovery key for this account (an account made
 * before recovery keys existed has none) and prints it once; any earlier key stops working. With
 * `--status`, only says whether the account has one.
 */
export function registerRecovery(program: Command, run: Run) {
  program
    .command("recover")
    .description("restore an account whose devices are all lost, with its recovery key")
    .option(
      "--server <url>",
      "server URL; repeat for each node of one deployment (env VOLLY_SERVER, comma-separated)",
      (v: string, acc: string[] | undefined) => [...(acc ?? []), v],
    )
    .option("--handle <handle>", "the account's handle")
    .option("--recovery-key-file <file>", "read the recovery key from this file (default: ask, or stdin)")
    .option("--device-name <name>", "a name for this device", "cli")
    .action((o: RecoverOptions) =>
      run(async (out, g) => {
        const servers = resolveServerUrls(o.server ?? []);
        if (servers === undefined || o.handle === undefined) {
          throw new VollyError(
            "VOLLY_E_USAGE",
            "volly recover needs --server (or VOLLY_SERVER) and --handle.",
          );
        }
        const kdf = kdfOption();
        const dir = profileDir(g);
        if (await profileExists(dir))
          throw new VollyError("VOLLY_E_PROFILE_EXISTS", `A profile already exists in ${dir}`);
        const recoveryKey =
          o.recoveryKeyFile !== undefined
            ? (await readFile(o.recoveryKeyFile, "utf8")).trim()
            : await readSecret("Recovery key: ");
        const pin = await resolvePin(g.pin, "Choose a 6-digit PIN for this device: ");
        const restored = await recoverNodeProfile(dir, {
          serverUrl: servers,
          handle: o.handle,
          recoveryKey,
          pin,
          deviceName: o.deviceName,
          ...kdf,
        });
        const p = restored.client.profile;
        await restored.client.close();
        const urls = profileServerUrls(p);
        out.result(
          {
            handle: p.handle,
            accountId: p.accountId,
            deviceId: p.deviceId,
            server: p.serverUrl,
            servers: urls,
            revokedDeviceIds: restored.revokedDeviceIds,
            backupRestored: restored.backupRestored,
            rejoined: restored.rejoin.rejoined,
            failed: restored.rejoin.failed,
          },
          [
            `Restored @${p.handle} on ${describeServers(urls)} (profile ${dir})`,
            `Revoked ${restored.revokedDeviceIds.length} lost device(s); ` +
              `rejoined ${restored.rejoin.rejoined.length} conversation(s)` +
              (restored.rejoin.failed.length > 0
                ? `, ${restored.rejoin.failed.length} could not be rejoined`
                : "") +
              (restored.backupRestored ? "" : " (no account backup was found)"),
            "Older messages cannot come back: they were encrypted for the lost devices only.",
          ].join("\n"),
        );
      }),
    );

  program
    .command("recovery-key")
    .description("create a new recovery key for this account (printed once; the old one stops working)")
    .option("--status", "only say whether the account has a recovery key")
    .action((o: { status?: boolean }) =>
      run(async (out, g) => {
        await withClient(g, async (client) => {
          if (o.status) {
            const status = await client.recovery.status();
            out.result(
              status,
              status.configured
                ? `@${client.profile.handle} has a recovery key` +
                    (status.backupUpdatedAt !== undefined
                      ? `; backup stored ${new Date(status.backupUpdatedAt).toISOString()}`
                      : "")
                : `@${client.profile.handle} has no recovery key: run \`volly recovery-key\` to create one`,
            );
            return;
          }
          const recoveryKey = await client.recovery.setUp();
          out.result(
            { handle: client.profile.handle, recoveryKey },
            `Your new recovery key (shown this once — store it somewhere safe, offline; any earlier one no longer works):\n\n    ${recoveryKey}`,
          );
        });
      }),
    );
}

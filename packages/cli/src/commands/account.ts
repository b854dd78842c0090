import { profileServerUrls } from "@volly/client";
import { exportNodeProfile, importNodeProfile, profileExists } from "@volly/client/node";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { profileDir } from "../options.js";
import type { Run } from "../output.js";
import { resolvePin } from "../pin.js";
import { withSyncedClient } from "../with-client.js";

/**
 * `volly account export FILE`: writes this profile — the device's identity, its conversations' MLS
 * states and their history — to FILE, still sealed under the PIN (a consistent copy; FILE must not
 * exist).
 *
 * `volly account import FILE --server URL [--handle H]`: moves the exported account to the server
 * at URL (issue 18): the device signs the move, the new server checks it with the old one, which
 * hands the account over (its old handle then names the new one), and follows the account's groups.
 * The profile (in `--profile`, which must hold none) then belongs to the new server with handle H
 * (default: the same name), keeps every conversation and its history, and catches up on what came
 * since the export. Contacts keep talking to the same account.
 */
export function registerAccount(program: Command, run: Run) {
  const account = program.command("account").description("move this account to another server");
  account
    .command("export")
    .description("write this profile (identity, conversations, history) to FILE, sealed under the PIN")
    .argument("<file>", "the file to write (must not exist)")
    .action((file: string) =>
      run(async (out, g) => {
        const dir = profileDir(g);
        const pin = await resolvePin(g.pin);
        const result = await exportNodeProfile(dir, file, pin);
        out.result(
          { file, handle: result.handle, bytes: result.bytes },
          `Exported @${result.handle} to ${file} (${result.bytes} bytes); import it with: volly account import ${file} --server URL`,
        );
      }),
    );
  account
    .command("import")
    .description("move an exported account to the server at --server, keeping its conversations")
    .argument("<file>", "a file `volly account export` wrote")
    .option("--server <url>", "the URL of the server to move to")
    .option("--handle <handle>", "the handle to take there (default: the same name)")
    .action((file: string, o: { server?: string; handle?: string }) =>
      run(async (out, g) => {
        if (o.server === undefined)
          throw new VollyError("VOLLY_E_USAGE", "volly account import needs --server URL.");
        const dir = profileDir(g);
        if (await profileExists(dir)) {
          throw new VollyError("VOLLY_E_PROFILE_EXISTS", `A profile already exists in ${dir}`);
        }
        const pin = await resolvePin(g.pin);
        const moved = await importNodeProfile(file, dir, {
          pin,
          serverUrl: o.server,
          ...(o.handle !== undefined ? { handle: o.handle.replace(/^@/, "") } : {}),
        });
        // Signs in at the new server, uploads key packages there (the old server's are gone, and
        // others cannot add this device without them) and catches up.
        const conversations = await withSyncedClient(g, async (client) => {
          await client.keyPackages.topUp();
          return (await client.conversations.list()).length;
        });
        out.result(
          {
            from: moved.from,
            to: moved.to,
            accountId: moved.profile.accountId,
            deviceId: moved.profile.deviceId,
            server: moved.profile.serverUrl,
            servers: profileServerUrls(moved.profile),
            groups: moved.groups,
            conversations,
          },
          `Moved @${moved.from} to @${moved.to} (profile ${dir}); ${conversations} conversation(s) kept`,
        );
      }),
    );
}

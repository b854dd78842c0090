import { VOLLY_VERSION } from "@volly/protocol";
import { Command, CommanderError } from "commander";
import { registerAccept } from "./commands/accept.js";
import { registerAccount } from "./commands/account.js";
import { registerApiKey } from "./commands/apikey.js";
import { registerBackup } from "./commands/backup.js";
import { registerBridge } from "./commands/bridge.js";
import { registerChannel } from "./commands/channel.js";
import { registerChat } from "./commands/chat.js";
import { registerCommunity } from "./commands/community.js";
import { registerConversations } from "./commands/conversations.js";
import { registerDaemon } from "./commands/daemon.js";
import { registerDevices } from "./commands/devices.js";
import { registerGroup } from "./commands/group.js";
import { registerInit } from "./commands/init.js";
import { registerInvite } from "./commands/invite.js";
import { registerMcp } from "./commands/mcp.js";
import { registerMessageActions } from "./commands/message-actions.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerNotify } from "./commands/notify.js";
import { registerReceive } from "./commands/receive.js";
import { registerRecovery } from "./commands/recovery.js";
import { registerRole } from "./commands/role.js";
import { registerScheduled } from "./commands/scheduled.js";
import { registerSearch } from "./commands/search.js";
import { registerSend } from "./commands/send.js";
import { registerServe } from "./commands/serve.js";
import { registerStatus } from "./commands/status.js";
import { registerThreads } from "./commands/threads.js";
import { registerVerify } from "./commands/verify.js";
import { EXIT } from "./exit-codes.js";
import type { GlobalOptions } from "./options.js";
import { createOutput, type Output, reportError } from "./output.js";

/**
 * Builds the `volly` commander program with every command registered. Command bodies run through
 * `run` with the parsed global options; a body's error is reported (stderr, `error CODE: message` or
 * JSON with --json) and its exit code handed to `onError`. Parse errors and --help surface as
 * CommanderError from `parseAsync` (`exitOverride`). Also used by tests to enumerate the commands.
 */
export function createProgram(onError: (exitCode: number) => void = () => {}): Command {
  const program = new Command("volly");
  program
    .description("Volly: end-to-end encrypted conversations for people, agents, services and devices")
    .version(VOLLY_VERSION)
    .option("--profile <dir>", "profile directory (env VOLLY_PROFILE, default ~/.volly)")
    .option("--json", "machine-readable output: one JSON object per line")
    .option("--pin <pin>", "the profile's 6-digit PIN (env VOLLY_PIN; asked if missing)")
    .option(
      "--api-key-file <file>",
      "file holding an API key (env VOLLY_API_KEY): unlock the profile and sign in with it, no PIN",
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const run = async (fn: (out: Output, g: GlobalOptions) => Promise<void>) => {
    const g = program.opts<GlobalOptions>();
    try {
      await fn(createOutput(Boolean(g.json)), g);
    } catch (err) {
      onError(reportError(err, Boolean(g.json)));
    }
  };
  for (const register of [
    registerInit,
    registerApiKey,
    registerInvite,
    registerAccept,
    registerSend,
    registerMessageActions,
    registerReceive,
    registerChat,
    registerSearch,
    registerNotify,
    registerThreads,
    registerScheduled,
    registerConversations,
    registerGroup,
    registerCommunity,
    registerChannel,
    registerRole,
    registerDevices,
    registerRecovery,
    registerAccount,
    registerVerify,
    registerStatus,
    registerServe,
    registerMigrate,
    registerBackup,
    registerDaemon,
    registerMcp,
    registerBridge,
  ]) {
    register(program, run);
  }
  return program;
}

/**
 * Runs the `volly` CLI with `argv` (without node and script) and resolves to its exit code.
 * Every command accepts --profile, --json and --pin; errors print as `error CODE: message`
 * (or JSON with --json) and map to the exit codes in exit-codes.ts.
 */
export async function runCli(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = createProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      // An id made before ids avoided a leading '-' reads as an option; say how to pass it.
      const option = /unknown option '(-[A-Za-z0-9_-]{21})'/.exec(err.message)?.[1];
      if (option)
        process.stderr.write(`(an id starting with '-' goes after '--': volly send -- ${option} …)\n`);
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(err, false);
  }
  return exitCode;
}

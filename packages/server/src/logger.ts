import { type Logger, pino } from "pino";
import { PinoPretty } from "pino-pretty";
import type { LogLevel } from "./config.js";

/** Where the server's log lines go: a writable with the TTY facts of `process.stdout`. */
export interface LogOutput {
  /** The file descriptor written to (1 for stdout). */
  fd: number;
  /** True when the output is a terminal (`process.stdout.isTTY`). */
  isTTY?: boolean;
  /** Whether the terminal shows colours (`tty.WriteStream.hasColors`); absent for pipes and files. */
  hasColors?: () => boolean;
}

/**
 * Creates the logger of a server process (what {@link startServer} uses unless it is given one).
 *
 * - `output` is a pipe or a file (systemd, Docker, log shippers, the tests): pino's JSON lines,
 *   one object per line, unchanged;
 * - `output` is a terminal: the same records pretty-printed by pino-pretty, one line each — local
 *   time, level, message, then the fields (`url`, `store`, …) — coloured when the terminal has
 *   colours (`NO_COLOR`/`FORCE_COLOR` are honoured through `hasColors`). Written synchronously, so
 *   nothing is lost when the process exits after draining.
 *
 * Either way the records are the same and never contain message content.
 *
 * @param level the pino level (`config.logLevel`, env VOLLY_LOG_LEVEL)
 * @param output where the lines go (default `process.stdout`)
 */
export function createServerLogger(level: LogLevel, output: LogOutput = process.stdout): Logger {
  if (!output.isTTY) return pino({ level });
  const pretty = PinoPretty({
    destination: output.fd,
    sync: true,
    colorize: output.hasColors?.() ?? false,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname",
    singleLine: true,
  });
  return pino({ level }, pretty);
}

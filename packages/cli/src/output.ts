import { type ErrorCode, VollyError } from "@volly/protocol";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import type { GlobalOptions } from "./options.js";

/** How a command prints: one JSON object per line with `--json`, readable text otherwise. */
export interface Output {
  json: boolean;
  /** Prints a result: `data` as one JSON line in JSON mode, else `text`. */
  result(data: unknown, text: string): void;
  /** Prints a human-only note to stderr (suppressed in JSON mode). */
  note(text: string): void;
  /**
   * Warns on stderr about something that did not stop the command (it still exits 0):
   * `{"warning":{code,message}}` in JSON mode, `(message)` otherwise.
   */
  warn(code: ErrorCode, message: string): void;
}

/** Creates the output for a command run. */
export function createOutput(json: boolean): Output {
  return {
    json,
    result(data, text) {
      process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${text}\n`);
    },
    note(text) {
      if (!json) process.stderr.write(`${text}\n`);
    },
    warn(code, message) {
      process.stderr.write(json ? `${JSON.stringify({ warning: { code, message } })}\n` : `(${message})\n`);
    },
  };
}

/**
 * Reports an error on stderr — `{"error":{code,message}}` in JSON mode, `error CODE: message`
 * otherwise — and returns the exit code it maps to.
 */
export function reportError(err: unknown, json: boolean): number {
  const e =
    err instanceof VollyError
      ? err
      : new VollyError("VOLLY_E_INTERNAL", err instanceof Error ? err.message : String(err));
  process.stderr.write(
    json ? `${JSON.stringify({ error: e.toBody() })}\n` : `error ${e.code}: ${e.message}\n`,
  );
  return e.code === "VOLLY_E_INTERNAL" ? EXIT.unexpected : exitCodeFor(e.code);
}

/** How a command runs its body: with its output and the global options, errors mapped to exit codes. */
export type Run = (fn: (out: Output, g: GlobalOptions) => Promise<void>) => Promise<void>;

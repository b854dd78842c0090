/** Where a bot writes one log line (no trailing newline): `BotOptions.log`. */
export type BotLog = (line: string) => void;

/** The default {@link BotLog}: `volly-bot: <line>` on standard error. */
export const stderrLog: BotLog = (line) => {
  process.stderr.write(`volly-bot: ${line}\n`);
};

/** A short description of a thrown value for a log line: `CODE: message` for a VollyError. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

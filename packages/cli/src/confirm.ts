import { createInterface } from "node:readline";

/**
 * Asks a yes/no `question` on the terminal (read from stdin, written to stderr) and resolves true
 * for `y` or `yes` (any case), false for any other answer, an empty line, the end of input
 * (Ctrl-D) or Ctrl-C. The caller checks that stdin is a terminal.
 *
 * @param timeoutMs how long to wait for the answer (ms); then the question is withdrawn and the
 *   promise rejects with `expired()`
 */
export function askYesNo(question: string, timeoutMs: number, expired: () => Error): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      rl.close();
      fn();
    };
    const timer = setTimeout(() => {
      process.stderr.write("\n");
      settle(() => reject(expired()));
    }, timeoutMs);
    rl.once("close", () => settle(() => resolve(false)));
    // Ctrl-C answers no (readline would otherwise only pause the input).
    rl.once("SIGINT", () => {
      process.stderr.write("\n");
      settle(() => resolve(false));
    });
    rl.question(question, (answer) => settle(() => resolve(/^\s*y(es)?\s*$/i.test(answer))));
  });
}

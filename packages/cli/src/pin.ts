import { createInterface } from "node:readline";
import { VollyError } from "@volly/protocol";

/**
 * The PIN for this run: `--pin`, else `VOLLY_PIN`, else asked on the terminal (input hidden).
 * Throws VOLLY_E_PROFILE_LOCKED when there is none and no terminal to ask on.
 */
export async function resolvePin(flag: string | undefined, prompt = "PIN: "): Promise<string> {
  if (flag) return flag;
  if (process.env.VOLLY_PIN) return process.env.VOLLY_PIN;
  if (!process.stdin.isTTY) {
    throw new VollyError("VOLLY_E_PROFILE_LOCKED", "A PIN is needed: pass --pin or set VOLLY_PIN.");
  }
  return askHidden(prompt);
}

/**
 * Reads a secret (a recovery key): asked on the terminal with the input hidden, or — when stdin is
 * not a terminal — the whole of stdin, trimmed.
 */
export async function readSecret(prompt: string): Promise<string> {
  if (process.stdin.isTTY) return askHidden(prompt);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}

function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    rl.question(prompt, (answer) => {
      rl.close();
      process.stderr.write("\n");
      resolve(answer.trim());
    });
    out._writeToOutput = (s: string) => {
      if (s.startsWith(prompt)) process.stderr.write(prompt);
    };
  });
}

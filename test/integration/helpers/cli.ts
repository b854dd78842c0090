import { spawn } from "node:child_process";
import { CLI_BIN } from "./server-process.js";

/** Result of one CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The CLI's own variables, emptied (= unset) so the runner's environment cannot leak into a test;
 * and the test-only cheap Argon2id for the profiles the CLI creates (`VOLLY_INSECURE_TEST_KDF`,
 * honoured only under `NODE_ENV=test`; see packages/cli/src/profile-kdf.ts), so each run's unlock
 * costs ~1 ms instead of a 64 MiB Argon2id. A test's own `env` can override either.
 */
export const UNSET_CLI_ENV = {
  VOLLY_PIN: "",
  VOLLY_PROFILE: "",
  VOLLY_SERVER: "",
  NODE_ENV: "test",
  VOLLY_INSECURE_TEST_KDF: "1",
};

/** Runs the real `volly` CLI as a child process with `args`; `env` is added to the environment. */
export function runVolly(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: { ...process.env, ...UNSET_CLI_ENV, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdin.end(input ?? "");
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses stdout as one JSON object per line. */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Starts `volly <args> devices link --yes <flags>` in the background (it waits for the new device's
 * claim; stdin is not a terminal, so `--yes` approves the first claim whose proof matches). `code`
 * resolves with the pairing code as soon as it is printed, in JSON or text mode (or with a
 * description of the failure, if the command exits first); `done` with the whole run once it exits.
 */
export function startDeviceLink(
  args: string[],
  flags: string[] = [],
): { code: Promise<string>; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI_BIN, ...args, "devices", "link", "--yes", ...flags], {
    env: { ...process.env, ...UNSET_CLI_ENV },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let resolveCode: (code: string) => void = () => {};
  const code = new Promise<string>((resolve) => {
    resolveCode = resolve;
  });
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
    const found = LINK_CODE.exec(stdout)?.[0];
    if (found) resolveCode(found);
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.once("exit", (exit) => resolve({ code: exit, stdout, stderr }));
  });
  void done.then((r) => resolveCode(`(devices link exited ${r.code}: ${r.stderr})`));
  return { code, done };
}

/** A pairing code as `volly devices link` prints it. */
export const LINK_CODE = /volly-link:https?:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}/;

/** A `volly` process kept running with piped stdin, such as `volly chat`. */
export interface InteractiveVolly {
  /** Writes `line` and a newline to its stdin. */
  type(line: string): void;
  /** Closes its stdin (what Ctrl-D does on a terminal). */
  endInput(): void;
  /**
   * Resolves once everything it wrote to `stream` so far contains `text`; rejects after `timeoutMs`
   * or when the process exits without writing it.
   */
  waitFor(stream: "stdout" | "stderr", text: string, timeoutMs?: number): Promise<void>;
  /** What it wrote to stdout so far. */
  output(): string;
  /** SIGKILLs it (cleanup after a failed test; a no-op once it exited). */
  kill(): void;
  /** The whole run, once it exits. */
  done: Promise<CliResult>;
}

/** How {@link startVolly} runs the CLI. */
export interface StartOptions {
  /**
   * Send stderr into the stdout pipe (`2>&1` through `sh`), so the order of everything it wrote is
   * kept; `stderr` then stays empty.
   */
  mergeStderr?: boolean;
}

/** Starts the real `volly` CLI with `args` and piped stdin/stdout/stderr; `env` as in {@link runVolly}. */
export function startVolly(
  args: string[],
  env: Record<string, string> = {},
  options: StartOptions = {},
): InteractiveVolly {
  if (options.mergeStderr) {
    return startProcess("sh", ["-c", 'exec "$0" "$@" 2>&1', process.execPath, CLI_BIN, ...args], env);
  }
  return startProcess(process.execPath, [CLI_BIN, ...args], env);
}

/**
 * Starts the real `volly` CLI with `args` on a pseudo-terminal (util-linux `script`), as a person at
 * a terminal runs it: stdin, stdout and stderr are the terminal, so its output (both streams, with
 * the terminal's CRLF line ends) is all in `stdout`, and `type` answers its prompts.
 */
export function startInTerminal(args: string[], env: Record<string, string> = {}): InteractiveVolly {
  const command = [process.execPath, CLI_BIN, ...args].map(shellQuote).join(" ");
  return startProcess("script", ["--quiet", "--flush", "--return", "--command", command, "/dev/null"], env);
}

/** `value` quoted for a POSIX shell. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

function startProcess(command: string, argv: string[], env: Record<string, string>): InteractiveVolly {
  const child = spawn(command, argv, {
    env: { ...process.env, ...UNSET_CLI_ENV, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (c: Buffer) => {
    output.stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    output.stderr += c.toString();
  });
  let exited = false;
  const done = new Promise<CliResult>((resolve) => {
    child.once("exit", (code) => {
      exited = true;
      resolve({ code, ...output });
    });
  });
  return {
    type: (line) => child.stdin.write(`${line}\n`),
    endInput: () => child.stdin.end(),
    kill: () => {
      if (!exited) child.kill("SIGKILL");
    },
    done,
    output: () => output.stdout,
    async waitFor(stream, text, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while (!output[stream].includes(text)) {
        if (exited || Date.now() > end) {
          throw new Error(
            `${exited ? "exited" : "timed out"} before ${stream} showed ${JSON.stringify(text)}\n` +
              `stdout: ${output.stdout}\nstderr: ${output.stderr}`,
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

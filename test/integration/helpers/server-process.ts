import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { tempDir } from "../../helpers/temp-dir.js";

/** Path of the built CLI entry point. */
export const CLI_BIN = resolve(import.meta.dirname, "../../../packages/cli/dist/bin.js");

/** A real `volly serve` process on a free loopback port. */
export interface ServerProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM and wait for exit; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (kill -9) and wait for exit. */
  kill9(): Promise<void>;
}

/**
 * Starts `node packages/cli/dist/bin.js serve --port <port> --data <dataDir>` and resolves once it
 * logs that it listens. `port` 0 picks a free port; pass the old port to restart on the same URL.
 * `env` adds to (or overrides) the process's environment, e.g. VOLLY_RATE_LIMIT_IP_MAX. `host` is the
 * loopback address to listen on (default 127.0.0.1; federation tests give each server its own).
 */
export async function startServerProcess(
  dataDir = tempDir(),
  port = 0,
  env: Record<string, string> = {},
  host = "127.0.0.1",
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [CLI_BIN, "serve", "--port", String(port), "--host", host, "--data", dataDir],
    {
      env: { ...process.env, VOLLY_LOG_LEVEL: process.env.VOLLY_TEST_SERVER_LOG_LEVEL ?? "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    let listening = false;
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      // Only until it listens: matching the whole output on every chunk of a chatty server is quadratic.
      if (listening) return;
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m?.[1]) {
        listening = true;
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    dataDir,
    child,
    output: () => out,
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
    async kill9() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Path of the built CLI entry point (`npm run build` / `npx tsc -b` first). */
export const CLI_BIN = resolve(import.meta.dirname, "../../../packages/cli/dist/bin.js");

/** One `volly serve` node process of a multi-node cluster. */
export interface NodeProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Its data directory (the embedded store's volly.db lives there). */
  dataDir: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGKILL (kill -9): no draining, no goodbye. Resolves once it exited. */
  kill9(): Promise<void>;
  /** SIGTERM (drain) and wait; SIGKILL after 10 s. Resolves to the exit code. */
  stop(): Promise<number | null>;
}

const children = new Set<ChildProcess>();
let exitHook = false;

const dirs = new Set<string>();

/** A scratch directory removed when the process exits. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (dirs.size === 0) {
    process.once("exit", () => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
  }
  dirs.add(dir);
  return dir;
}

/**
 * Spawns `node packages/cli/dist/bin.js serve --port <port> --host 127.0.0.1 --data <dataDir>` with
 * `env` added (VOLLY_DATABASE_URL, VOLLY_REDIS_URL select the scaled shape) and resolves once it logs
 * `listening`. Every node still running when the test process exits is killed.
 *
 * @param options.dataDir default: a fresh scratch directory
 * @param options.port default 0 (a free port); pass an old node's port to restart on its URL
 */
export async function startNodeProcess(
  env: Record<string, string>,
  options: { dataDir?: string; port?: number } = {},
): Promise<NodeProcess> {
  const dataDir = options.dataDir ?? scratchDir("volly-node-");
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const child of children) child.kill("SIGKILL");
    });
  }
  const child = spawn(
    process.execPath,
    [CLI_BIN, "serve", "--port", String(options.port ?? 0), "--host", "127.0.0.1", "--data", dataDir],
    { env: { ...process.env, VOLLY_LOG_LEVEL: "info", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.add(child);
  let out = "";
  const exit = new Promise<number | null>((r) =>
    child.once("exit", (code) => {
      children.delete(child);
      r(code);
    }),
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start:\n${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    dataDir,
    child,
    output: () => out,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async kill9() {
      child.kill("SIGKILL");
      await exit;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Result of one CLI run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `volly` CLI with `args` (and `env` added) to completion. */
export function runVolly(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.once("exit", (code) => resolveRun({ code, stdout, stderr }));
  });
}

import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import { VollyError } from "@volly/protocol";
import type { FastifyBaseLogger } from "fastify";
import { JanusClient } from "./janus-client.js";

/** How long a (re)started Janus may take to answer `info` (ms). */
const READY_TIMEOUT_MS = 30_000;
/** How long `stop` waits for Janus to exit after SIGTERM before SIGKILL (ms). */
const STOP_DEADLINE_MS = 5_000;
/** Restart delays after unexpected exits: doubling from 1 s up to 30 s; reset after a minute up. */
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;
const STABLE_AFTER_MS = 60_000;
/** Lines of Janus's output kept for the error when it does not come up. */
const TAIL_LINES = 20;

/**
 * A shell wrapper that runs Janus and ends it when our stdin closes: when this process ends in any
 * way (SIGKILL included), the pipe closes and the watchdog sends Janus SIGTERM, so a managed Janus
 * never outlives its `volly serve`. Prints `volly-janus-pid <pid>` first; exits with Janus's status.
 */
const WATCHDOG = [
  "exec 3<&0",
  'janus "$@" </dev/null &',
  "j=$!",
  'echo "volly-janus-pid $j"',
  '(read _ <&3; kill -TERM "$j" 2>/dev/null) &',
  "w=$!",
  'wait "$j"',
  "code=$?",
  'kill "$w" 2>/dev/null',
  'exit "$code"',
].join("\n");

/** Options of {@link startJanusProcess}. */
export interface JanusProcessOptions {
  /** `janus.jcfg` written by `writeJanusConfig`. */
  configFile: string;
  /** The directory holding it (Janus's configs folder). */
  configDir: string;
  /** Its WebSocket API (`ws://127.0.0.1:PORT`). */
  url: string;
  /** Its `api_secret`. */
  apiSecret: string;
  /** Where Janus's output goes: `[ERR]`/`[WARN]` lines at warn, the rest at debug. */
  logger: FastifyBaseLogger;
}

/** A Janus this process runs (VOLLY_SFU=managed). */
export interface JanusProcess {
  /** Its WebSocket API. */
  readonly url: string;
  /** Janus's process id while it runs, else undefined. */
  pid(): number | undefined;
  /**
   * Called after Janus exited unexpectedly and a new one is ready again: rooms it held are gone
   * and must be created anew.
   */
  onRestart(listener: () => void): void;
  /** SIGTERM (SIGKILL after 5 s) and wait for exit; no restart follows. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts Janus with `options.configFile` and resolves once its WebSocket API answers `info` with the
 * API secret. Afterwards an unexpected exit is logged (error) and Janus is started again after a
 * delay (1 s doubling to 30 s), then `onRestart` listeners run.
 *
 * @throws VollyError VOLLY_E_SFU_UNAVAILABLE when Janus cannot be started or does not answer within
 *   30 s (details.output: its last lines); nothing is left running
 */
export async function startJanusProcess(options: JanusProcessOptions): Promise<JanusProcess> {
  const { logger } = options;
  const restartListeners: Array<() => void> = [];
  let child: ChildProcess | undefined;
  let janusPid: number | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopping = false;
  /** Whether Janus was ready once: only then is an exit restarted (a failed first start is an error). */
  let started = false;
  let restartDelay = RESTART_MIN_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  let tail: string[] = [];

  const launch = () => {
    tail = [];
    janusPid = undefined;
    const proc = spawn(
      "sh",
      ["-c", WATCHDOG, "volly-janus", "-C", options.configFile, "-F", options.configDir, "-o"],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    child = proc;
    const startedAt = Date.now();
    let pending = "";
    const onData = (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const pidLine = /^volly-janus-pid (\d+)$/.exec(line);
        if (pidLine) {
          janusPid = Number(pidLine[1]);
          continue;
        }
        if (line.trim() === "") continue;
        tail = [...tail.slice(-(TAIL_LINES - 1)), line];
        if (/\[(ERR|WARN)\]/.test(line)) logger.warn({ sfu: "janus" }, line);
        else logger.debug({ sfu: "janus" }, line);
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.stdin.on("error", () => {}); // the wrapper gone: nothing to tell it
    exited = new Promise<void>((resolve) => {
      proc.once("exit", (code, signal) => {
        janusPid = undefined;
        resolve();
        if (stopping || !started || child !== proc) return;
        // The wrapper's status is Janus's; a shell reports death by signal N as 128 + N.
        const bySignal =
          code !== null && code > 128
            ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0]
            : undefined;
        logger.error(
          { sfu: "janus", code, signal: bySignal ?? signal, output: tail.slice(-5) },
          "sfu exited; restarting",
        );
        if (Date.now() - startedAt > STABLE_AFTER_MS) restartDelay = RESTART_MIN_MS;
        restartTimer = setTimeout(() => {
          restartTimer = undefined;
          if (stopping) return;
          launch();
          waitReady().then(
            () => {
              logger.info({ sfu: "janus", url: options.url, pid: janusPid }, "sfu ready (restarted)");
              for (const listener of restartListeners) listener();
            },
            (error: unknown) => logger.error({ sfu: "janus", err: String(error) }, "sfu did not come back"),
          );
        }, restartDelay);
        restartDelay = Math.min(restartDelay * 2, RESTART_MAX_MS);
      });
    });
  };

  const waitReady = async () => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const proc = child;
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    for (;;) {
      if (stopping) throw new VollyError("VOLLY_E_SHUTTING_DOWN");
      if (gone || child !== proc) {
        throw new VollyError(
          "VOLLY_E_SFU_UNAVAILABLE",
          `Janus exited while starting${tail.length > 0 ? `: ${tail.at(-1)}` : "."}`,
          { output: tail },
        );
      }
      try {
        const client = await JanusClient.connect(options.url, {
          apiSecret: options.apiSecret,
          timeoutMs: 1_000,
        });
        try {
          await client.info();
          return;
        } finally {
          client.close();
        }
      } catch (error) {
        if (error instanceof VollyError && error.code === "VOLLY_E_SFU_REFUSED") throw error; // wrong secret
      }
      if (Date.now() > deadline) {
        throw new VollyError("VOLLY_E_SFU_UNAVAILABLE", "Janus did not answer in time.", { output: tail });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const stop = async () => {
    stopping = true;
    if (restartTimer) clearTimeout(restartTimer);
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.stdin?.end(); // the watchdog sends Janus SIGTERM
    const killer = setTimeout(() => {
      if (janusPid !== undefined) {
        try {
          process.kill(janusPid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      proc.kill("SIGKILL");
    }, STOP_DEADLINE_MS);
    await exited;
    clearTimeout(killer);
  };

  launch();
  try {
    await waitReady();
  } catch (error) {
    await stop();
    throw error;
  }
  started = true;
  logger.info({ sfu: "janus", url: options.url, pid: janusPid }, "sfu ready");
  let stopped: Promise<void> | undefined;
  return {
    url: options.url,
    pid: () => janusPid,
    onRestart: (listener) => {
      restartListeners.push(listener);
    },
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}

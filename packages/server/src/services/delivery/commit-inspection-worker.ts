import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { type ErrorCode, VollyError } from "@volly/protocol";

/**
 * The @volly/crypto functions the worker runs: `true` for those called as `fn(suite, ...args)`,
 * `false` for those called as `fn(...args)`.
 */
export const WORKER_OPERATIONS = {
  inspectCommit: true,
  inspectGroupInfo: true,
  welcomeKeyPackageRefs: false,
} as const;

/** One of {@link WORKER_OPERATIONS}. */
export type WorkerOperation = keyof typeof WORKER_OPERATIONS;

/**
 * The worker's code (CommonJS, run with `eval`): it imports the built @volly/crypto (the file the
 * server resolves, so both run the same code), loads the suite once, and answers each request
 * `{id, op, args}` (an operation of {@link WORKER_OPERATIONS}) with `{id, result}` or `{id, error}`: a VollyError as `{code, message, details}`,
 * anything else as `{message}` (the delivery service's own data was unusable, or a bug).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { pathToFileURL } = require("node:url");
const ready = import(pathToFileURL(workerData.cryptoEntry).href).then(async (crypto) => ({
  crypto,
  suite: await crypto.loadSuite(workerData.ciphersuite),
}));
const operations = new Map(Object.entries(workerData.operations));
parentPort.on("message", async ({ id, op, args }) => {
  try {
    if (!operations.has(op)) throw new Error("unknown operation " + op);
    const { crypto, suite } = await ready;
    const result = operations.get(op) ? await crypto[op](suite, ...args) : await crypto[op](...args);
    parentPort.postMessage({ id, result });
  } catch (error) {
    const volly = error && typeof error.code === "string" && error.code.startsWith("VOLLY_E_");
    parentPort.postMessage({
      id,
      error: volly
        ? { code: error.code, message: error.message, details: error.details }
        : { message: String((error && error.message) || error) },
    });
  }
});
`;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type WorkerReply =
  | { id: number; result: unknown }
  | { id: number; error: { code?: string; message: string; details?: Record<string, unknown> } };

/**
 * A worker thread that runs @volly/crypto's commit checks off the event loop (see
 * {@link startCryptoWorker}).
 */
export interface CryptoWorker {
  /**
   * Runs `op(suite, ...args)` in the worker. Resolves with its result (structured-cloned); rejects
   * with the VollyError it threw (same code, message and details) or an Error (anything else, or the
   * worker died).
   */
  run<T>(op: WorkerOperation, args: unknown[]): Promise<T>;
  /** Requests sent and not yet answered. */
  readonly pending: number;
  /** Terminates the worker; requests still pending are rejected with an Error. */
  close(): Promise<void>;
}

/**
 * Starts one worker thread for @volly/crypto's commit checks (`inspectCommit` costs about 0.9 ms per
 * Add, so the 999-Add commit that creates a large group would hold the event loop for about a second:
 * heartbeats and other groups' sends would wait). The worker imports the built @volly/crypto and loads
 * `ciphersuite` once; it is unref'd while idle so it never keeps the process alive. When it exits or
 * fails, pending requests are rejected and `onExit` is called (the pool starts a new one).
 *
 * @param ciphersuite RFC 9420 §5.1 name passed to `loadSuite`
 */
export function startCryptoWorker(ciphersuite: string, onExit: () => void = () => {}): CryptoWorker {
  const cryptoEntry = createRequire(import.meta.url).resolve("@volly/crypto");
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { cryptoEntry, ciphersuite, operations: WORKER_OPERATIONS },
  });
  worker.unref();
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let dead: Error | undefined;
  const failAll = (error: Error) => {
    dead ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on("message", (reply: WorkerReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if ("result" in reply) p.resolve(reply.result);
    else if (reply.error.code !== undefined) {
      p.reject(new VollyError(reply.error.code as ErrorCode, reply.error.message, reply.error.details));
    } else p.reject(new Error(`commit inspection worker: ${reply.error.message}`));
  });
  worker.on("error", (error) => failAll(new Error(`commit inspection worker failed: ${error.message}`)));
  worker.on("exit", (code) => {
    failAll(new Error(`commit inspection worker exited (code ${code})`));
    onExit();
  });
  return {
    run<T>(op: WorkerOperation, args: unknown[]) {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        worker.ref();
        worker.postMessage({ id, op, args });
      });
    },
    get pending() {
      return pending.size;
    },
    async close() {
      await worker.terminate();
    },
  };
}

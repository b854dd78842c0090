/**
 * The UI side of the worker RPC: starts the SDK worker on first use, matches responses to
 * requests by id, and fans the worker's events out to subscribers.
 */
import type {
  RpcRequest,
  SdkArgs,
  SdkEvent,
  SdkMethod,
  SdkResult,
  WireError,
  WorkerMessage,
} from "./rpc-types.js";

/** An SDK error as the UI sees it: the VollyError's code, message and details. */
export class SdkError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(wire: WireError) {
    super(wire.message);
    this.name = "SdkError";
    this.code = wire.code;
    this.details = wire.details;
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: SdkError) => void;
}

export class SdkClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: SdkEvent) => void>();

  /** Calls a method of the SDK in the worker. Rejects with {@link SdkError}. */
  call<M extends SdkMethod>(method: M, ...args: SdkArgs<M>): Promise<SdkResult<M>> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<SdkResult<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      // plain JSON data only: UI state may be wrapped in reactive proxies, which cannot be cloned
      const plainArgs = JSON.parse(JSON.stringify(args)) as SdkArgs<M>;
      worker.postMessage({ kind: "request", id, method, args: plainArgs } as RpcRequest);
    });
  }

  /** Subscribes to the SDK's events; returns the unsubscribe function. */
  on(listener: (event: SdkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL("./sdk-worker.ts", import.meta.url), {
      type: "module",
      name: "volly-sdk",
    });
    worker.onmessage = (ev: MessageEvent<WorkerMessage>) => this.onMessage(ev.data);
    worker.onerror = (ev) => {
      const error = new SdkError({
        code: "VOLLY_E_INTERNAL",
        message: ev.message || "The SDK worker failed.",
      });
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    this.worker = worker;
    return worker;
  }

  private onMessage(message: WorkerMessage): void {
    if (message.kind === "event") {
      for (const fn of this.listeners) fn(message.event);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.value);
    else pending.reject(new SdkError(message.error));
  }
}

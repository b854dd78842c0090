/**
 * The UI side of the worker RPC: starts the SDK worker on first use, forwards the calls of its
 * typed proxy ({@link SdkWorker.proxy}) as `{path, args}` requests, matches responses to requests by
 * id, and fans the worker's events out to subscribers.
 */
import { serveBrowserPeers } from "../lib/p2p/browser-peers.js";
import type { DirectPortMessage } from "../lib/p2p/direct-wire.js";
import { cloneableArgs } from "./cloneable-args.svelte.js";
import type { RpcRequest, SdkEvent, WorkerMessage } from "./rpc-types.js";
import { SdkError } from "./sdk-error.js";
import { createSdkProxy, type SdkProxy } from "./sdk-surface.js";

export { SdkError };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: SdkError) => void;
}

export class SdkWorker {
  /**
   * The SDK in the worker, typed from its allow-list: `proxy.conversations.summaries()`,
   * `proxy.session.unlock(pin)`… Every call rejects with {@link SdkError}.
   */
  readonly proxy: SdkProxy = createSdkProxy((path, args) => this.call(path, args));
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: SdkEvent) => void>();

  /** Subscribes to the SDK's events; returns the unsubscribe function. */
  on(listener: (event: SdkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends one request; arguments are snapshotted (see `cloneable-args.svelte.ts`), large buffers moved. */
  private call(path: readonly string[], rawArgs: unknown[]): Promise<unknown> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      try {
        const { args, transfer } = cloneableArgs(rawArgs);
        const request: RpcRequest = { kind: "request", id, path, args };
        worker.postMessage(request, transfer);
      } catch (err) {
        // structured clone refused an argument (a function, a DOM node…): a bug in the caller
        const message = `${path.join(".")}: ${err instanceof Error ? err.message : String(err)}`;
        reject(new SdkError({ code: "VOLLY_E_BAD_REQUEST", message }));
        return;
      }
      this.pending.set(id, { resolve, reject });
    });
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
    // direct paths: the worker's peer factory makes its WebRTC connections here (no RTCPeerConnection
    // in workers); its port goes first, before any request can open the client
    if (typeof RTCPeerConnection === "function") {
      const channel = new MessageChannel();
      serveBrowserPeers(channel.port1);
      const message: DirectPortMessage = { kind: "direct-port", port: channel.port2 };
      worker.postMessage(message, [channel.port2]);
    }
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

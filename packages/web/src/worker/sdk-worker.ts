/**
 * The SDK worker: the whole VollyClient (MLS, sealed IndexedDB store, gateway WebSocket) runs here,
 * off the UI thread. This entry stays small: `probe` loads only the store, every other method
 * loads the crypto SDK on first use (see sdk-service.ts).
 */

import { type RpcRequest, type SdkEvent, toWireError, type WorkerMessage } from "./rpc-types.js";
import type { SdkService } from "./sdk-service.js";

/** The part of DedicatedWorkerGlobalScope used here (the project's lib is DOM, not WebWorker). */
interface WorkerScope {
  postMessage(message: WorkerMessage): void;
  onmessage: ((ev: MessageEvent<RpcRequest>) => void) | null;
}

const scope = self as unknown as WorkerScope;

function post(message: WorkerMessage): void {
  scope.postMessage(message);
}

function emit(event: SdkEvent): void {
  post({ kind: "event", event });
}

let service: Promise<SdkService> | undefined;

function loadService(): Promise<SdkService> {
  service ??= import("./sdk-service.js").then((m) => new m.SdkService(emit));
  return service;
}

async function handle(request: RpcRequest): Promise<unknown> {
  if (request.method === "probe") {
    const { probeProfile } = await import("./profile-probe.js");
    return probeProfile();
  }
  if (request.method === "warmUp") {
    await loadService();
    return undefined;
  }
  const svc = await loadService();
  const fn = svc[request.method] as (...args: unknown[]) => Promise<unknown>;
  return fn.apply(svc, request.args);
}

scope.onmessage = (ev: MessageEvent<RpcRequest>) => {
  const request = ev.data;
  handle(request).then(
    (value) => post({ kind: "response", id: request.id, ok: true, value }),
    (err: unknown) => post({ kind: "response", id: request.id, ok: false, error: toWireError(err) }),
  );
};

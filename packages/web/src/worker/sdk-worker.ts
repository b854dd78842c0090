/**
 * The SDK worker: the whole VollyClient (MLS, sealed IndexedDB store, gateway WebSocket) runs here,
 * off the UI thread. This entry stays small: it checks each request against the allow-list
 * (`sdk-surface.ts`, types only from the SDK) before anything is loaded, answers `session.probe`
 * by loading only the store, and loads the crypto SDK for everything else (see sdk-service.ts).
 */

import { isDirectPortMessage } from "../lib/p2p/direct-wire.js";
import { resultTransfer } from "./result-transfer.js";
import {
  parseRequest,
  type RpcRequest,
  type SdkEvent,
  toWireError,
  type WorkerMessage,
} from "./rpc-types.js";
import type { SdkService } from "./sdk-service.js";
import { isWireError, resolveCall, type SessionApi } from "./sdk-surface.js";

/** The part of DedicatedWorkerGlobalScope used here (the project's lib is DOM, not WebWorker). */
interface WorkerScope {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<unknown>) => void) | null;
}

const scope = self as unknown as WorkerScope;

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function emit(event: SdkEvent): void {
  post({ kind: "event", event });
}

let service: Promise<SdkService> | undefined;
/** The port to the UI thread's WebRTC host (direct paths), once the UI handed it over. */
let directPort: MessagePort | undefined;

function loadService(): Promise<SdkService> {
  service ??= import("./sdk-service.js").then((m) => new m.SdkService(emit, () => directPort));
  return service;
}

/** The worker's own calls ({@link SessionApi}), one handler each. */
const SESSION_HANDLERS: { readonly [M in keyof SessionApi]: (args: unknown[]) => Promise<unknown> } = {
  probe: async () => (await import("./profile-probe.js")).probeProfile(),
  warmUp: async () => {
    await loadService();
  },
  createProfile: async (args) =>
    (await loadService()).createProfile(...(args as Parameters<SessionApi["createProfile"]>)),
  recoverProfile: async (args) =>
    (await loadService()).recoverProfile(...(args as Parameters<SessionApi["recoverProfile"]>)),
  unlock: async (args) => (await loadService()).unlock(...(args as Parameters<SessionApi["unlock"]>)),
  link: async (args) => (await loadService()).link(...(args as Parameters<SessionApi["link"]>)),
  lock: async () => (await loadService()).lock(),
  signOut: async () => (await loadService()).signOut(),
  startDeviceLink: async () => (await loadService()).startDeviceLink(),
  deviceLinkClaim: async (args) =>
    (await loadService()).deviceLinkClaim(...(args as Parameters<SessionApi["deviceLinkClaim"]>)),
  answerDeviceLink: async (args) =>
    (await loadService()).answerDeviceLink(...(args as Parameters<SessionApi["answerDeviceLink"]>)),
  sendCallSignal: async (args) =>
    (await loadService()).sendCallSignal(...(args as Parameters<SessionApi["sendCallSignal"]>)),
  voiceJoin: async (args) =>
    (await loadService()).voice().voiceJoin(...(args as Parameters<SessionApi["voiceJoin"]>)),
  voiceLeave: async (args) =>
    (await loadService()).voice().voiceLeave(...(args as Parameters<SessionApi["voiceLeave"]>)),
  voiceSelf: async (args) =>
    (await loadService()).voice().voiceSelf(...(args as Parameters<SessionApi["voiceSelf"]>)),
  voiceModerate: async (args) =>
    (await loadService()).voice().voiceModerate(...(args as Parameters<SessionApi["voiceModerate"]>)),
  voiceStates: async (args) =>
    (await loadService()).voice().voiceStates(...(args as Parameters<SessionApi["voiceStates"]>)),
};

/** A request's result and what of it is moved rather than copied to the UI (see `result-views.ts`). */
interface Outcome {
  value: unknown;
  transfer: Transferable[];
}

async function handle(request: RpcRequest): Promise<Outcome> {
  const call = resolveCall(request.path);
  if (isWireError(call)) throw call;
  if (call.kind === "session")
    return { value: await SESSION_HANDLERS[call.method](request.args), transfer: [] };
  const value = await (await loadService()).call(call, request.args);
  return { value, transfer: resultTransfer(call.view, value) };
}

/**
 * Answers request `id`; a result structured clone refuses is answered as VOLLY_E_INTERNAL. A
 * result's transferables (downloaded bytes, a stream of decrypted bytes) are moved to the UI.
 */
function respond(id: number, outcome: Outcome | { error: unknown }): void {
  if ("error" in outcome) {
    post({ kind: "response", id, ok: false, error: toWireError(outcome.error) });
    return;
  }
  try {
    post({ kind: "response", id, ok: true, value: outcome.value }, outcome.transfer);
  } catch (err) {
    post({ kind: "response", id, ok: false, error: toWireError(err) });
  }
}

scope.onmessage = (ev: MessageEvent<unknown>) => {
  if (isDirectPortMessage(ev.data)) {
    directPort ??= ev.data.port;
    return;
  }
  const parsed = parseRequest(ev.data);
  if (!("request" in parsed)) {
    // without an id there is no one to answer: the UI never sends such a message
    if (parsed.id !== undefined) respond(parsed.id, { error: parsed.error });
    return;
  }
  const { id } = parsed.request;
  handle(parsed.request).then(
    (outcome) => respond(id, outcome),
    (error: unknown) => respond(id, { error }),
  );
};

import { retryClass, VollyError } from "@volly/protocol";
import { derivedMessageId } from "./message-id.js";
import type { InboundPacket, PacketLedger } from "./packet-ledger.js";
import { decodeSendPayload, type PublishedError } from "./payload.js";
import type { Topics } from "./topics.js";

/** What {@link handleInbound} needs from the rest of the bridge. */
export interface InboundDeps {
  topics: Topics;
  ledger: PacketLedger;
  /** Sends `text` into the conversation under message id `id`; resolves once the server stored it. */
  send(conversationId: string, text: string, id: string): Promise<void>;
  /**
   * Publishes a refusal (QoS 1) on `topic`. Never awaited by the handler: mqtt.js reads the PUBACK
   * in the same packet loop that waits for the handler.
   */
  publishError(topic: string, error: PublishedError): Promise<void>;
  log(line: string): void;
  /** Aborted when the bridge closes: a message still waiting for the server is left unacknowledged. */
  signal: AbortSignal;
}

/** First and longest wait between tries while the Volly server cannot take a message, ms. */
const RETRY_MS = { first: 500, max: 30_000 };

/**
 * Handles one PUBLISH from `PREFIX/CONVERSATION_ID/send`; when it resolves the packet may be
 * acknowledged (PUBACK): the message is stored by the Volly server, or it was refused for good
 * (bad topic, bad payload, not a member…: logged and published on the `errors` topic, nothing
 * sent). While the server is unreachable or asks to slow down it retries (the same message id, so
 * never twice). Rejects only when the bridge closes first (no acknowledgement: the broker delivers
 * the packet again to the next session).
 */
export async function handleInbound(deps: InboundDeps, packet: InboundPacket): Promise<void> {
  let conversationId: string | undefined;
  let payloadId: string | undefined;
  if (packet.dup)
    deps.log(`packet ${packet.packetId} on ${packet.topic} redelivered (DUP): sent at most once`);
  try {
    conversationId = deps.topics.conversationOf(packet.topic);
    const payload = decodeSendPayload(packet.payload);
    payloadId = payload.id;
    const id =
      payload.id !== undefined
        ? derivedMessageId("mqtt-payload", conversationId, payload.id)
        : deps.ledger.messageIdOf(packet);
    await sendWithRetry(deps, conversationId, payload.text, id);
    if (payload.id === undefined) await deps.ledger.stored(packet);
  } catch (err) {
    if (deps.signal.aborted) throw err;
    const e = err instanceof VollyError ? err : new VollyError("VOLLY_E_INTERNAL", (err as Error).message);
    deps.log(`refused ${packet.topic} (packet ${packet.packetId}): ${e.code} ${e.message}`);
    // Not awaited: its PUBACK is read by the same packet loop that waits for this handler.
    void deps
      .publishError(deps.topics.errorsFor(packet.topic), {
        code: e.code,
        message: e.message,
        topic: packet.topic,
        ...(payloadId !== undefined ? { payloadId } : {}),
      })
      .catch((pubErr: Error) => deps.log(`could not publish the refusal: ${pubErr.message}`));
  }
}

async function sendWithRetry(deps: InboundDeps, conversationId: string, text: string, id: string) {
  for (let wait = RETRY_MS.first; ; wait = Math.min(wait * 2, RETRY_MS.max)) {
    try {
      await deps.send(conversationId, text, id);
      return;
    } catch (err) {
      if (err instanceof VollyError && err.code === "VOLLY_E_MESSAGE_ID_CONFLICT") {
        // The server holds this id already: stored before by a run whose local state is gone.
        deps.log(`message ${id} was already stored; not sent again`);
        return;
      }
      if (retryClass(err) === "never" || deps.signal.aborted) throw err;
      deps.log(`server busy or unreachable (${(err as Error).message}); retrying in ${wait} ms`);
      await abortableDelay(wait, deps.signal);
    }
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new VollyError("VOLLY_E_SHUTTING_DOWN", "The bridge is closing."));
      },
      { once: true },
    );
  });
}

import { type MlsGroup, processMessage } from "@volly/crypto";
import {
  type ApplicationContent,
  ApplicationContent as ApplicationContentSchema,
  type EphemeralMessageEvent,
  fromBase64Url,
  matches,
  VollyError,
} from "@volly/protocol";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import { ListenerSet } from "../shared/listeners.js";
import { CONTENT_HANDLERS } from "./content/registry.js";

/** One ephemeral content received, decrypted and checked (see {@link EphemeralIncoming}). */
export interface EphemeralReceived {
  /** The conversation (group) it came in. */
  conversationId: string;
  /** The sending device (from its MLS credential, the same as the server's claim). */
  fromDeviceId: string;
  /** The sending device's account (from its MLS credential). */
  fromAccountId: string;
  /** The sender's handle, as the server names it. */
  from: string;
  /** The content: a kind whose handler's persistence is "ephemeral". */
  content: ApplicationContent;
  /** Set when it came straight from the sender on the LAN (`p2p/`), not through the server. */
  lanAddress?: string;
}

/**
 * The receiving side of ephemeral MLS content (EPHEMERAL_MESSAGE dispatches; DESIGN.md "Calls"):
 * each message is decrypted in its conversation's queue — after the log entries before it, with
 * the conversation's group state, whose advanced ratchet is stored (RFC 9420 §9: a key is never
 * used twice) — checked (the MLS sender must be the server's claimed sender; the content a kind
 * declared "ephemeral"; addressed to this device when it names one in `toDevice`) and emitted on
 * {@link EphemeralIncoming.received}. Nothing of it is stored as a message, acknowledged, or
 * retried: a message this device cannot decrypt (an epoch it has no keys for, its own state behind)
 * is dropped and reported to diagnostics as "ephemeral.undecryptable" (code and cause only), and it
 * never triggers a rejoin.
 */
export class EphemeralIncoming {
  /** Fires for each ephemeral content received. */
  readonly received = new ListenerSet<EphemeralReceived>();

  constructor(
    private readonly ctx: ClientContext,
    private readonly queue: KeyedQueue,
  ) {}

  /**
   * Processes one EPHEMERAL_MESSAGE (or the same from the LAN rendezvous, `lanAddress` its sender's
   * address) and emits what it carried. Throws only when the local store fails; every other
   * failure drops the message.
   */
  async handle(event: EphemeralMessageEvent, lanAddress?: string): Promise<void> {
    let received: EphemeralReceived | undefined;
    try {
      received = await this.queue.run(event.groupId, () => this.handleLocked(event));
      if (received && lanAddress !== undefined) received.lanAddress = lanAddress;
    } catch (err) {
      if (!(err instanceof VollyError && err.code === "VOLLY_E_DECRYPT_FAILED")) throw err;
      this.ctx.diagnostics.report("ephemeral.undecryptable", err);
      return;
    }
    if (received) this.received.emit(received);
  }

  private async handleLocked(event: EphemeralMessageEvent): Promise<EphemeralReceived | undefined> {
    const { stores, suite, profile } = this.ctx;
    const conv = await stores.conversations.get(event.groupId);
    // Not for conversations this device does not have, has left, or its self conversation.
    if (!conv || conv.left || conv.self) return undefined;
    let group: MlsGroup;
    try {
      group = await stores.groupStates.load(conv.id);
    } catch {
      return undefined;
    }
    const processed = await processMessage(suite, group, fromBase64Url(event.ciphertext));
    // A commit never travels this way: its result is not adopted (the stored state stays).
    if (processed.kind !== "application") return undefined;
    if (
      processed.sender.deviceId !== event.senderDeviceId ||
      processed.sender.accountId !== event.senderAccountId
    ) {
      throw new VollyError("VOLLY_E_DECRYPT_FAILED", "Sender does not match the MLS credential.", {
        cause: "bad-signature",
      });
    }
    await stores.groupStates.put(stores.batch(), conv.id, processed.newGroup).commit();
    const content = parseContent(processed.plaintext);
    if (!content || CONTENT_HANDLERS[content.type].persistence !== "ephemeral") return undefined;
    if ("toDevice" in content && content.toDevice !== profile.deviceId) return undefined;
    return {
      conversationId: conv.id,
      fromDeviceId: event.senderDeviceId,
      fromAccountId: event.senderAccountId,
      from: event.senderHandle,
      content,
    };
  }
}

/** The content of a decrypted plaintext, or undefined when it is not valid ApplicationContent. */
function parseContent(bytes: Uint8Array): ApplicationContent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  return matches(ApplicationContentSchema, json) ? json : undefined;
}

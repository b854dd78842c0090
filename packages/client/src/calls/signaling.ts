import { encryptApplication, groupEpoch, isRemovedFromGroup } from "@volly/crypto";
import {
  type CallSignalContent,
  CallSignalContent as CallSignalContentSchema,
  matches,
  newId,
  parse,
  type SendEphemeralBody,
  toBase64Url,
  utf8,
  VollyError,
} from "@volly/protocol";
import type { EphemeralIncoming } from "../messaging/ephemeral-incoming.js";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import { ListenerSet } from "../shared/listeners.js";
import type { CallSignal, CallSignaling, ReceivedCallSignal } from "./calls-api.js";

/**
 * The SDK's {@link CallSignaling} (see there for each public member): sends signals with
 * POST /v1/groups/:groupId/ephemeral and emits the call signaling kinds that
 * {@link EphemeralIncoming} received.
 */
export class CallSignalingService implements CallSignaling {
  readonly signals = new ListenerSet<ReceivedCallSignal>();

  /**
   * @param queue the per-conversation queue every group state change goes through
   * @param incoming the receiving side of ephemeral messages (its call signals are re-emitted)
   */
  constructor(
    private readonly ctx: ClientContext,
    private readonly queue: KeyedQueue,
    incoming: EphemeralIncoming,
  ) {
    incoming.received.add(({ content, ...from }) => {
      if (matches(CallSignalContentSchema, content)) this.signals.emit({ ...from, signal: content });
    });
  }

  async send(conversationId: string, signal: CallSignal): Promise<CallSignalContent> {
    const content = parse(
      CallSignalContentSchema,
      { v: 1, id: newId(), sentAt: Date.now(), ...signal },
      "VOLLY_E_USAGE",
    );
    const body = await this.queue.run(conversationId, () => this.encryptLocked(conversationId, content));
    await this.ctx.api.call("sendEphemeral", { params: { groupId: conversationId }, body });
    return content;
  }

  /**
   * Encrypts `content` as an MLS application message (RFC 9420 §6.3.1) with the conversation's
   * group state and stores the advanced state before the ciphertext leaves (a key is never used
   * twice, even if sending fails).
   */
  private async encryptLocked(
    conversationId: string,
    content: CallSignalContent,
  ): Promise<SendEphemeralBody> {
    const { stores, suite } = this.ctx;
    const conv = await stores.conversations.get(conversationId);
    if (!conv) throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION", `No conversation ${conversationId}.`);
    if (conv.self)
      throw new VollyError("VOLLY_E_USAGE", "Calls are not made in the account's own conversation.");
    if (conv.left)
      throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
    const group = await stores.groupStates.load(conversationId);
    if (isRemovedFromGroup(group)) throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER");
    const epoch = groupEpoch(group);
    const { newGroup, ciphertext } = await encryptApplication(suite, group, utf8(JSON.stringify(content)));
    await stores.groupStates.put(stores.batch(), conversationId, newGroup).commit();
    return { epoch, ciphertext: toBase64Url(ciphertext) };
  }
}

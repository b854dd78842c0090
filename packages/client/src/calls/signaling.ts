import {
  type CallSignalContent,
  CallSignalContent as CallSignalContentSchema,
  matches,
  newId,
  parse,
} from "@volly/protocol";
import type { EphemeralIncoming } from "../messaging/ephemeral-incoming.js";
import { sealEphemeralLocked } from "../messaging/seal-ephemeral.js";
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
    const body = await this.queue.run(conversationId, () =>
      sealEphemeralLocked(this.ctx, conversationId, content, "Calls"),
    );
    await this.ctx.api.call("sendEphemeral", { params: { groupId: conversationId }, body });
    return content;
  }
}

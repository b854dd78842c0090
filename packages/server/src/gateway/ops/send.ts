import { GatewayOp, VollyError } from "@volly/protocol";
import { describeError } from "../../describe-error.js";
import type { ConnectionContext } from "../connection-context.js";
import { errorFrame } from "../frames.js";
import type { FrameOf, OpHandler } from "./op-handler.js";

/** Most SENDs one connection may have waiting for their commit; more get VOLLY_E_RATE_LIMITED. */
export const MAX_SENDS_IN_FLIGHT = 256;

/** An ERROR frame for a refused SEND: the error's body with `details.messageId`. */
function refuse(connection: ConnectionContext, messageId: string, error: VollyError): void {
  connection.send(errorFrame({ ...error.toBody(), details: { ...error.details, messageId } }));
}

/**
 * SEND (op 15): appends an application message sent over the gateway — the same checks and the same
 * durable append as POST /v1/groups/:groupId/messages — answered with SEND_ACK once committed, or
 * with ERROR carrying `details.messageId`. Runs outside the connection's serial queue, so dispatches
 * keep flowing while the commit is pending; SENDs are appended in the order they arrived, as the
 * store's group commit runs its calls in call order (Store.transactionShared).
 * Refused before READY (VOLLY_E_NOT_AUTHENTICATED); from a session made with an API key without the
 * `send` scope (VOLLY_E_API_KEY_SCOPE); beyond the account's budget (`send-budget.ts`: one request
 * of the account's REST budget per SEND, and the frame's bytes, both by its entity type) with
 * VOLLY_E_RATE_LIMITED `details {messageId, retryAfterMs, limit: "messages" | "bytes", entityType}`;
 * and beyond
 * {@link MAX_SENDS_IN_FLIGHT} waiting for their commit (VOLLY_E_RATE_LIMITED). The connection stays
 * open after every refusal.
 */
export const send: OpHandler<typeof GatewayOp.SEND> = {
  serial: false,
  handle(frame: FrameOf<typeof GatewayOp.SEND>, connection: ConnectionContext, frameBytes: number) {
    const { groupId, messageId, epoch, ciphertext, declares, blobIds } = frame.d;
    const sender = connection.session;
    if (!sender) return refuse(connection, messageId, new VollyError("VOLLY_E_NOT_AUTHENTICATED"));
    if (sender.apiKey && !sender.apiKey.scopes.includes("send")) {
      return refuse(
        connection,
        messageId,
        new VollyError("VOLLY_E_API_KEY_SCOPE", 'This API key lacks the "send" scope.', { scope: "send" }),
      );
    }
    if (connection.sendsPending >= MAX_SENDS_IN_FLIGHT) {
      return refuse(
        connection,
        messageId,
        new VollyError(
          "VOLLY_E_RATE_LIMITED",
          `At most ${MAX_SENDS_IN_FLIGHT} SENDs may wait for their commit.`,
        ),
      );
    }
    const refusal = connection.deps.sendBudget?.charge(sender, frameBytes);
    if (refusal) {
      return refuse(
        connection,
        messageId,
        new VollyError(
          "VOLLY_E_RATE_LIMITED",
          refusal.limit === "bytes"
            ? "This account sent too many bytes in this window; retry after details.retryAfterMs."
            : "This account sent too many requests in this window; retry after details.retryAfterMs.",
          { retryAfterMs: refusal.retryAfterMs, limit: refusal.limit, entityType: sender.entityType },
        ),
      );
    }
    const { delivery } = connection.deps.services;
    connection.sendsPending++;
    delivery
      .sendMessage(
        sender.deviceId,
        groupId,
        {
          messageId,
          epoch,
          ciphertext,
          ...(declares ? { declares } : {}),
          ...(blobIds ? { blobIds } : {}),
        },
        sender,
      )
      .finally(() => {
        connection.sendsPending--;
      })
      .then(
        ({ seq, duplicate }) =>
          void connection.send(
            `{"op":${GatewayOp.SEND_ACK},"d":{"groupId":"${groupId}","messageId":"${messageId}","seq":${seq},"duplicate":${duplicate}}}`,
          ),
        (error: unknown) => {
          if (error instanceof VollyError) return refuse(connection, messageId, error);
          connection.deps.log.error({ err: describeError(error) }, "gateway send failed");
          refuse(connection, messageId, new VollyError("VOLLY_E_INTERNAL"));
        },
      );
  },
};

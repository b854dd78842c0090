import type { DeliveryDiagnostic, VollyClient } from "@volly/client";
import { type BotLog, describeError } from "../log.js";

/**
 * The text a bot sends into a conversation it had to rejoin, naming the window it could not read.
 *
 * @param from the time of the last message it could still read there (ms since the Unix epoch)
 * @param to when it rejoined (ms)
 */
export function recoveryNoticeText(from: number, to: number): string {
  return (
    `I lost my keys for this conversation and rejoined it; messages sent between ` +
    `${new Date(from).toISOString()} and ${new Date(to).toISOString()} could not be read. ` +
    "Please send again anything I should answer."
  );
}

/**
 * Says so when the bot lost its state of a conversation. The SDK notices the loss on the next
 * entry of that conversation's group (a missing or unreadable group state, a commit it cannot
 * process) and rejoins by external commit on its own (RFC 9420 §12.4.3.2; `conversations/resync.ts`),
 * setting `RECOVERY_NOTICE` on the conversation and reporting a "resynced" delivery diagnostic.
 * On that diagnostic this writes a log line and sends {@link recoveryNoticeText} into the
 * conversation — from the last message the bot still read there (or when it joined) to the rejoin —
 * then clears the conversation's notice (it has been told). A rejoin that failed is logged (the
 * SDK tries again with the next entry). Never "unable to decrypt" in silence.
 *
 * @returns the function that stops listening
 */
export function announceRecoveries(client: VollyClient, log: BotLog): () => void {
  return client.messaging.diagnostics.add((diagnostic) => {
    if (diagnostic.kind === "resync-failed") {
      log(
        `lost the keys of conversation ${diagnostic.conversationId ?? "?"} (${diagnostic.cause}); ` +
          `rejoining failed (${diagnostic.error ?? "unknown"}), trying again with its next message`,
      );
    }
    const conversationId = diagnostic.conversationId;
    if (diagnostic.kind !== "resynced" || !conversationId) return;
    notify(client, diagnostic, conversationId, log).catch((err: unknown) =>
      log(`could not send the rejoin notice into ${conversationId}: ${describeError(err)}`),
    );
  });
}

async function notify(
  client: VollyClient,
  diagnostic: DeliveryDiagnostic,
  conversationId: string,
  log: BotLog,
): Promise<void> {
  const conv = await client.conversations.get(conversationId);
  const rejoinedAt = conv.noticeAt ?? Date.now();
  const history = await client.messaging.history(conversationId, 200);
  const lastRead = history.filter((m) => m.receivedAt <= rejoinedAt && m.body.type === "text").at(-1);
  const from = lastRead?.sentAt ?? conv.createdAt;
  log(
    `lost the keys of conversation ${conversationId} "${conv.title}" (${diagnostic.cause}) and rejoined it by ` +
      `external commit; messages sent between ${new Date(from).toISOString()} and ` +
      `${new Date(rejoinedAt).toISOString()} could not be read`,
  );
  await client.messaging.send(conversationId, recoveryNoticeText(from, rejoinedAt));
  await client.conversations.clearNotice(conversationId);
}

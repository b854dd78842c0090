import type { MessageAction, MessageRecord, VollyClient } from "@volly/client";
import type { Command } from "commander";
import { actionJson, actionLine, conversationLabel, inboxLine, messageJson } from "../format.js";
import { parseNonNegativeInt } from "../options.js";
import type { Output, Run } from "../output.js";
import { withClient } from "../with-client.js";

/**
 * `volly receive [--timeout S]`: fetch and print new messages, membership events and others'
 * actions on messages (reactions, edits, deletions, pins), then exit. Each batch is printed in the
 * order it was written (sender's time, then seq), each with its conversation:
 * `[HH:MM] [Weekend trip] bob: count me in` (`[@bob]` for a direct conversation), for an event
 * `[HH:MM] [Weekend trip] alice added carol`, for an action `[HH:MM] [@bob] bob reacted 👍 to ID`;
 * with --json one object per line: a message `{type: "message", id, conversationId, from, text,
 * sentAt, conversation, replyTo?, mentions, editedAt?, reactions?}` (the conversation's title; a
 * message deleted before it was printed has `deleted: true` and no text), an event
 * `{event: "membership", id, conversationId, conversation, change, by, members, name?, at}`, an
 * action `{type: "reaction"|"edit"|"delete"|"pin", id, conversationId, conversation, messageId,
 * from, at, emoji?, removed?, text?, pinned?}`. Notes
 * on stderr: joined conversations, messages that could not be decrypted (by cause), rejoins by
 * external commit and a conversation's notice ("Messages may have been missed"), shown once.
 */
export function registerReceive(program: Command, run: Run) {
  program
    .command("receive")
    .description(
      "fetch, decrypt and print new messages and membership events in the order they were written, each " +
        "with its conversation (one JSON object per line with --json)",
    )
    .option("--timeout <seconds>", "keep listening this long after the backlog is in", "0")
    .action((o: { timeout: string }) =>
      run(async (out, g) => {
        const timeout = parseNonNegativeInt("timeout", o.timeout, 86_400);
        await withClient(g, async (client) => {
          let printing = Promise.resolve();
          const printNotices = async () => {
            for (const c of await client.conversations.list()) {
              if (c.notice === undefined) continue;
              out.note(`${c.title} (${c.id}): ${c.notice}`);
              await client.conversations.clearNotice(c.id);
            }
          };
          const printUnseen = () => {
            printing = printing.then(async () => {
              await printMessages(client, out);
              await printNotices();
            });
            return printing;
          };
          client.messaging.diagnostics.add((d) =>
            out.note(
              `${d.kind} (${d.cause})${d.conversationId ? ` in ${d.conversationId}` : ""}${d.error ? `: ${d.error}` : ""}`,
            ),
          );
          client.sync.joined.add((c) => out.note(`joined conversation ${c.title} (${c.id})`));
          await client.authenticate();
          await client.connect();
          await printUnseen();
          if (timeout > 0) {
            client.messaging.received.add((m) => {
              if (m.direction === "in") void printUnseen();
            });
            client.messaging.actions.add((a) => {
              if (a.direction === "in") void printUnseen();
            });
            await new Promise((r) => setTimeout(r, timeout * 1000));
            await printing;
          }
        });
      }),
    );
}

/** One line to print: a stored record, or an action on one. */
type Printable = { kind: "record"; record: MessageRecord } | { kind: "action"; action: MessageAction };

/** When a printable was written (sender's clock), then its log position, for printing in that order. */
function writtenAt(p: Printable): [number, number] {
  return p.kind === "record"
    ? [p.record.sentAt, p.record.seq ?? 0]
    : [p.action.at, p.action.seq ?? Number.MAX_SAFE_INTEGER];
}

/**
 * Prints the messages, membership events and actions not shown yet, oldest written first, each with
 * its conversation.
 */
async function printMessages(client: VollyClient, out: Output): Promise<void> {
  const items: Printable[] = [
    ...(await client.messaging.takeUnseen()).map((record) => ({ kind: "record" as const, record })),
    ...(await client.messaging.takeUnseenActions()).map((action) => ({ kind: "action" as const, action })),
  ];
  items.sort((a, b) => {
    const [at, seqA] = writtenAt(a);
    const [bt, seqB] = writtenAt(b);
    return at - bt || seqA - seqB;
  });
  const titles = new Map<string, { title: string; label: string }>();
  for (const item of items) {
    const conversationId = item.kind === "record" ? item.record.conversationId : item.action.conversationId;
    let conv = titles.get(conversationId);
    if (!conv) {
      const record = await client.conversations.get(conversationId).catch(() => undefined);
      conv = record
        ? { title: record.title, label: conversationLabel(record) }
        : { title: conversationId, label: conversationId };
      titles.set(conversationId, conv);
    }
    if (item.kind === "record") {
      out.result(
        messageJson(item.record, conv.title),
        inboxLine(item.record, conv.label, client.profile.accountId),
      );
    } else {
      out.result(actionJson(item.action, conv.title), actionLine(item.action, conv.label));
    }
  }
}

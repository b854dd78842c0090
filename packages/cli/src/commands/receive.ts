import type { VollyClient } from "@volly/client";
import type { Command } from "commander";
import { byTimeWritten, conversationLabel, inboxLine, messageJson } from "../format.js";
import { parseNonNegativeInt } from "../options.js";
import type { Output, Run } from "../output.js";
import { withClient } from "../with-client.js";

/**
 * `volly receive [--timeout S]`: fetch and print new messages and membership events, then exit.
 * Each batch is printed in the order it was written (sentAt, then seq), each with its conversation:
 * `[HH:MM] [Weekend trip] bob: count me in` (`[@bob]` for a direct conversation), and for an event
 * `[HH:MM] [Weekend trip] alice added carol`; with --json one object per line: a message
 * `{id, conversationId, from, text, sentAt, conversation}` (the conversation's title), an event
 * `{event: "membership", id, conversationId, conversation, change, by, members, name?, at}`. Notes
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
            await new Promise((r) => setTimeout(r, timeout * 1000));
            await printing;
          }
        });
      }),
    );
}

/** Prints the messages and membership events not shown yet, oldest written first, each with its conversation. */
async function printMessages(client: VollyClient, out: Output): Promise<void> {
  const messages = (await client.messaging.takeUnseen()).sort(byTimeWritten);
  const titles = new Map<string, { title: string; label: string }>();
  for (const m of messages) {
    let conv = titles.get(m.conversationId);
    if (!conv) {
      const record = await client.conversations.get(m.conversationId).catch(() => undefined);
      conv = record
        ? { title: record.title, label: conversationLabel(record) }
        : { title: m.conversationId, label: m.conversationId };
      titles.set(m.conversationId, conv);
    }
    out.result(messageJson(m, conv.title), inboxLine(m, conv.label, client.profile.accountId));
  }
}

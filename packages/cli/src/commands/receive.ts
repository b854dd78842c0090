import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { ConversationRecord, MessageAction, MessageRecord, VollyClient } from "@volly/client";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { freePath } from "../download-names.js";
import { actionJson, actionLine, conversationLabel, fromTypeOf, inboxLine, messageJson } from "../format.js";
import { parseNonNegativeInt } from "../options.js";
import type { Output, Run } from "../output.js";
import { withClient } from "../with-client.js";

/**
 * `volly receive [--timeout S]`: fetch and print new messages, membership events and others'
 * actions on messages (reactions, edits, deletions, pins), then exit. Each batch is printed in the
 * order it was written (sender's time, then seq), each with its conversation:
 * `[HH:MM] [Weekend trip] bob: count me in` (`[@bob]` for a direct conversation; a sender that is
 * not a human is marked with its entity type: `echo [bot]: hi`), for an event
 * `[HH:MM] [Weekend trip] alice added carol`, for an action `[HH:MM] [@bob] bob reacted 👍 to ID`;
 * with --json one object per line: a message `{type: "message", id, conversationId, from, fromType,
 * text, sentAt, conversation, replyTo?, mentions, editedAt?, reactions?}` (the conversation's title;
 * `fromType` the sender's entity type: human, bot, agent, service or device; a
 * message deleted before it was printed has `deleted: true` and no text), an event
 * `{event: "membership", id, conversationId, conversation, change, by, members, name?, at}`, an
 * action `{type: "reaction"|"edit"|"delete"|"pin", id, conversationId, conversation, messageId,
 * from, at, emoji?, removed?, text?, pinned?}`. A message with files has `attachments: [{id, name,
 * size, mime, sha256}]`; with `--download DIR` each file is decrypted into DIR (created if needed)
 * under its sender's name made safe (last path segment, no control characters, not hidden) and
 * never over an existing file (`name (1).ext`…), and its `path` added; a file that cannot be
 * fetched or does not match its hash (VOLLY_E_BLOB_MISMATCH) gets `error` (its code) instead, a
 * note on stderr, and the command exits with that error's code after printing everything. Notes
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
    .option("--download <dir>", "decrypt each received file into this directory (adds `path`)")
    .action((o: { timeout: string; download?: string }) =>
      run(async (out, g) => {
        const timeout = parseNonNegativeInt("timeout", o.timeout, 86_400);
        const downloads = o.download !== undefined ? new Downloads(resolve(o.download)) : undefined;
        if (downloads) await mkdir(downloads.dir, { recursive: true });
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
              await printMessages(client, out, downloads);
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
        if (downloads?.failure) throw downloads.failure;
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
async function printMessages(client: VollyClient, out: Output, downloads?: Downloads): Promise<void> {
  const items: Printable[] = [
    ...(await client.messaging.takeUnseen()).map((record) => ({ kind: "record" as const, record })),
    ...(await client.messaging.takeUnseenActions()).map((action) => ({ kind: "action" as const, action })),
  ];
  items.sort((a, b) => {
    const [at, seqA] = writtenAt(a);
    const [bt, seqB] = writtenAt(b);
    return at - bt || seqA - seqB;
  });
  const titles = new Map<string, { title: string; label: string; record?: ConversationRecord }>();
  for (const item of items) {
    const conversationId = item.kind === "record" ? item.record.conversationId : item.action.conversationId;
    let conv = titles.get(conversationId);
    if (!conv) {
      const record = await client.conversations.get(conversationId).catch(() => undefined);
      conv = record
        ? { title: record.title, label: conversationLabel(record), record }
        : { title: conversationId, label: conversationId };
      titles.set(conversationId, conv);
    }
    if (item.kind === "record") {
      const fromType = fromTypeOf(item.record, conv.record, client.profile.entityType);
      const json = messageJson(item.record, conv.title, fromType);
      let line = inboxLine(item.record, conv.label, client.profile.accountId, fromType);
      if (downloads && item.record.body.type === "text" && item.record.attachments?.length) {
        const saved = await downloads.save(client, out, item.record);
        json.attachments = saved;
        const paths = saved.flatMap((a) => (a.path ? [a.path] : []));
        if (paths.length > 0) line += ` → ${paths.join(", ")}`;
      }
      out.result(json, line);
    } else {
      out.result(actionJson(item.action, conv.title), actionLine(item.action, conv.label));
    }
  }
}

/** `--download DIR`: where each received file goes, and the first download that failed. */
class Downloads {
  private readonly taken = new Set<string>();
  /** The first failure, thrown once everything is printed (the exit code). */
  failure: VollyError | undefined;

  constructor(readonly dir: string) {}

  /**
   * Decrypts every file of `m` into the directory; returns its `attachments` JSON with each file's
   * `path`, or `error` (its code) for one that failed.
   */
  async save(client: VollyClient, out: Output, m: MessageRecord): Promise<Array<Record<string, unknown>>> {
    const saved: Array<Record<string, unknown>> = [];
    for (const a of m.attachments ?? []) {
      const entry: Record<string, unknown> = {
        id: a.blobId,
        name: a.name,
        size: a.size,
        mime: a.mime,
        sha256: a.blobId,
      };
      try {
        const path = await freePath(this.dir, a.name, this.taken);
        await client.attachments.saveTo(a, path);
        entry.path = path;
      } catch (err) {
        const error =
          err instanceof VollyError ? err : new VollyError("VOLLY_E_INTERNAL", (err as Error).message);
        entry.error = error.code;
        out.note(`cannot download ${a.name} of message ${m.id}: ${error.code} ${error.message}`);
        this.failure ??= error;
      }
      saved.push(entry);
    }
    return saved;
  }
}

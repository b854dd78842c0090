import {
  type ConversationRecord,
  messageText,
  ownServerNames,
  parseSearchTime,
  type SearchHit,
  typedHandle,
  type VollyClient,
} from "@volly/client";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { conversationLabel, printable } from "../format.js";
import { parseNonNegativeInt } from "../options.js";
import type { Run } from "../output.js";
import { withClientSyncedIfReachable } from "../with-client.js";

/** Options of `volly search`. */
interface SearchCommandOptions {
  in?: string;
  from?: string;
  after?: string;
  before?: string;
  limit: string;
}

/**
 * `volly search QUERY [--in CONV] [--from @handle] [--after DATE] [--before DATE] [--limit N] [--json]`:
 * full-text search over the messages this device has decrypted; QUERY may also carry the filters as
 * operators (`in:@bob from:@carol has:link has:file after:2026-11-01 before:2026-12-01`, see the
 * SDK's `parseSearchQuery`; an option wins over the same operator) (local: after syncing with the server when it can be reached;
 * offline, what is stored, with a warning). Hits newest first, one line each:
 * `ID  [conversation]  sender  ISO-8601 time  text` (the text on one line); with --json one object
 * per line `{id, conversationId, conversation, from, sentAt, time, text, score}`. A bad query,
 * handle or limit exits with VOLLY_E_USAGE; `--in` names a conversation this device has
 * (`@handle` of an existing direct conversation, a conversation id or a channel id).
 */
export function registerSearch(program: Command, run: Run) {
  program
    .command("search")
    .description(
      "search the messages this device has decrypted (local, every word must match, newest first; " +
        "one JSON object per hit with --json)",
    )
    .argument(
      "<query>",
      "words to find (all must match; the last, from 3 characters, also as a prefix) and operators: " +
        "in:CONV from:@handle has:link has:file after:DATE before:DATE",
    )
    .option("--in <conv>", "only this conversation: @handle, a conversation id or a community channel id")
    .option("--from <handle>", "only messages from this sender (@handle)")
    .option("--after <date>", "only messages sent from this date (YYYY-MM-DD, local) or ISO-8601 time on")
    .option("--before <date>", "only messages sent before this date (YYYY-MM-DD, local) or ISO-8601 time")
    .option("--limit <n>", "at most this many hits (1 to 1000)", "50")
    .action((query: string, o: SearchCommandOptions) =>
      run(async (out, g) => {
        const limit = parseNonNegativeInt("limit", o.limit, 1000);
        if (limit < 1) throw new VollyError("VOLLY_E_USAGE", "--limit must be a whole number from 1 to 1000");
        await withClientSyncedIfReachable(g, out, async (client) => {
          const conv = o.in === undefined ? undefined : await conversationOf(client, o.in);
          const hits = await client.search.messages(query, {
            limit,
            ...(conv ? { conversationId: conv.id } : {}),
            ...(o.from !== undefined ? { from: o.from } : {}),
            ...(o.after !== undefined ? { after: parseSearchTime("--after", o.after) } : {}),
            ...(o.before !== undefined ? { before: parseSearchTime("--before", o.before) } : {}),
          });
          const titles = new Map<string, { title: string; label: string }>();
          for (const hit of hits) {
            const where = await titleOf(client, hit.message.conversationId, titles);
            out.result(hitJson(hit, where.title), hitLine(hit, where.label));
          }
        });
      }),
    );
}

/**
 * The conversation `--in` names, without creating one: `@handle` (or `@user@server`) must have a
 * direct conversation here already. Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_HANDLE_INVALID.
 */
async function conversationOf(client: VollyClient, target: string): Promise<ConversationRecord> {
  if (!target.startsWith("@")) return client.resolveConversation(target);
  const direct = await client.conversations.findDirect(typedHandle(target, ownServerNames(client.profile)));
  if (!direct) {
    throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION", `No conversation with ${target} on this device.`);
  }
  return direct;
}

/** A conversation's title and label (cached per run); its id when this device no longer has it. */
async function titleOf(
  client: VollyClient,
  conversationId: string,
  cache: Map<string, { title: string; label: string }>,
): Promise<{ title: string; label: string }> {
  let entry = cache.get(conversationId);
  if (!entry) {
    const record = await client.conversations.get(conversationId).catch(() => undefined);
    entry = record
      ? { title: record.title, label: conversationLabel(record) }
      : { title: conversationId, label: conversationId };
    cache.set(conversationId, entry);
  }
  return entry;
}

/** A hit as `--json` prints it. */
function hitJson(hit: SearchHit, conversation: string) {
  const m = hit.message;
  return {
    id: m.id,
    conversationId: m.conversationId,
    conversation,
    from: m.from,
    sentAt: m.sentAt,
    time: new Date(m.sentAt).toISOString(),
    text: messageText(m) ?? "",
    score: hit.score,
  };
}

/** A hit as one terminal line: id, conversation, sender, time, text (newlines as spaces). */
function hitLine(hit: SearchHit, label: string): string {
  const m = hit.message;
  const text = printable((messageText(m) ?? "").replace(/\r?\n/g, " "));
  return `${m.id}  [${label}]  @${printable(m.from)}  ${new Date(m.sentAt).toISOString()}  ${text}`;
}

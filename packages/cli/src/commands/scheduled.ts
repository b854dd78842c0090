import type { ScheduledEntry, VollyClient } from "@volly/client";
import type { Command } from "commander";
import { printable } from "../format.js";
import type { Output, Run } from "../output.js";
import type { SendWhen } from "../schedule-args.js";
import { withSyncedClient } from "../with-client.js";

/** One line of `volly scheduled list`: `ID  CONV  NEXT  RULE  TEXT`. */
export function scheduledLine(e: ScheduledEntry): string {
  const next = e.next !== undefined ? new Date(e.next).toISOString() : "-";
  const rule = e.rule ?? "once";
  const text = e.text !== undefined ? printable(e.text) : "(scheduled on another device)";
  const failed = e.failure !== undefined ? `  [refused: ${e.failure}]` : "";
  return `${e.id}  ${e.conversationId}  ${next}  ${rule}  ${text}${failed}`;
}

/** The JSON object of one scheduled entry. */
function scheduledJson(e: ScheduledEntry) {
  return {
    id: e.id,
    conversationId: e.conversationId,
    next: e.next !== undefined ? new Date(e.next).toISOString() : null,
    rule: e.rule ?? null,
    timeZone: e.timeZone ?? null,
    text: e.text ?? null,
    held: e.held,
    ...(e.failure !== undefined ? { failure: e.failure } : {}),
    ...(e.replyTo !== undefined ? { replyTo: e.replyTo } : {}),
  };
}

/**
 * The scheduled half of `volly send --at/--every`: encrypts the message (each occurrence of a
 * rule) on this device and hands it to the server, which sends it at its time even when this device
 * is off. Prints `scheduled ID for TIME [RULE]`.
 */
export async function sendLater(
  client: VollyClient,
  out: Output,
  conversationId: string,
  text: string,
  when: NonNullable<SendWhen>,
  replyTo: string | undefined,
): Promise<void> {
  const entry = await client.scheduled.schedule(conversationId, text, {
    ...("at" in when ? { at: when.at } : { every: when.every }),
    ...(replyTo !== undefined ? { replyTo } : {}),
  });
  const next = entry.next !== undefined ? new Date(entry.next).toISOString() : "-";
  out.result(
    { ...scheduledJson(entry), scheduled: true },
    `scheduled ${entry.id} for ${next}${entry.rule ? ` (${entry.rule}, ${entry.timeZone})` : ""}`,
  );
}

/**
 * `volly scheduled list [--json]`: one line per scheduled message or recurring schedule of this
 * account — id, conversation, next time (ISO-8601 UTC), rule ("once" for a one-off), text (every
 * device of the account knows a recurring schedule's text; a one-off's only the device that
 * scheduled it). `volly scheduled cancel ID`: cancels one (a whole recurring schedule by its id,
 * from any device of the account).
 */
export function registerScheduled(program: Command, run: Run) {
  const scheduled = program
    .command("scheduled")
    .description("messages scheduled with volly send --at/--every: list, cancel");
  scheduled
    .command("list")
    .description("one line per scheduled message: id, conversation, next time, rule, text (JSON with --json)")
    .action(() =>
      run(async (out, g) => {
        const entries = await withSyncedClient(g, (client) => client.scheduled.list());
        for (const e of entries) out.result(scheduledJson(e), scheduledLine(e));
        if (entries.length === 0) out.note("no scheduled messages");
      }),
    );
  scheduled
    .command("cancel")
    .description("cancel a scheduled message, or every occurrence of a recurring one")
    .argument("<id>", "the id `volly scheduled list` shows")
    .action((id: string) =>
      run(async (out, g) => {
        await withSyncedClient(g, (client) => client.scheduled.cancel(id));
        out.result({ id, cancelled: true }, `cancelled ${id}`);
      }),
    );
}

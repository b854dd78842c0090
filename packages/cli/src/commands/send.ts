import type {
  ConversationRecord,
  MessageRecord,
  SendOptions as MessageSendOptions,
  VollyClient,
} from "@volly/client";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import type { Output, Run } from "../output.js";
import { parseSendWhen, type SendWhen } from "../schedule-args.js";
import { withClient } from "../with-client.js";
import { sendLater } from "./scheduled.js";
import { sendFiles } from "./send-files.js";

/** Options of `volly send`. */
interface SendOptions {
  queue?: boolean;
  replyTo?: string;
  thread?: string;
  at?: string;
  every?: string;
  file: string[];
}

/**
 * `volly send [--queue] [--reply-to MSGID] [--thread MSGID] [--at ISO-8601 | --every SPEC] TARGET TEXT`,
 * or `volly send TARGET [TEXT] --file PATH [--file PATH…]` (files, TEXT their caption; see
 * `send-files.ts`; needs the server: no --queue, --at or --every):
 * with --at or --every the message is scheduled (see `scheduled.ts`; not in a thread); otherwise it
 * exits 0 once the server has stored the message durably.
 * When the server cannot be reached: by default nothing is sent or kept — exit 5, "not sent: server
 * unreachable"; with `--queue` the message is encrypted into this device's outbox (exit 0,
 * "queued …", JSON `queued: true`) and the next command that connects (receive, chat, send,
 * conversations, groups) sends it, once. A message the server took but did not confirm before the
 * connection dropped is in the outbox either way (it may already be stored; the server
 * deduplicates): exit 5 "not confirmed" by default, "queued" with `--queue`.
 */
export function registerSend(program: Command, run: Run) {
  program
    .command("send")
    .description(
      "send a message; exits 0 once the server has stored it durably. Server unreachable: exit 5 and " +
        "nothing is kept, or with --queue it waits in this device's outbox and the next command that " +
        "connects (receive, chat, send, conversations, groups) sends it",
    )
    .argument("<target>", "@handle, a conversation id or a community channel id")
    .argument("[text]", "the message (with --file: the caption, optional)")
    .option(
      "--file <path>",
      "attach a file (repeat for several, up to 10); progress on stderr when it is a terminal",
      (path: string, all: string[]) => [...all, path],
      [] as string[],
    )
    .option(
      "--queue",
      "if the server cannot be reached, keep the message in the outbox (exit 0, prints 'queued') " +
        "instead of failing",
    )
    .option("--reply-to <msgid>", "reply to this message of the conversation (its id)")
    .option(
      "--thread <msgid>",
      "send as a reply in the thread of this message (its id; community channels only)",
    )
    .option(
      "--at <iso-8601>",
      "send later, at this date and time (e.g. 2026-12-24T09:00, local time unless it ends in Z or ±HH:MM); " +
        "the server holds it encrypted and sends it even if this device is off",
    )
    .option(
      "--every <spec>",
      'send on a recurring rule in this device\'s time zone: "daily HH:MM" or "weekly mon HH:MM" ' +
        "(mon … sun); list and cancel with volly scheduled",
    )
    .action((target: string, text: string | undefined, o: SendOptions) =>
      run(async (out, g) => {
        if (o.file.length > 0) {
          if (o.at !== undefined || o.every !== undefined || o.queue) {
            throw new VollyError("VOLLY_E_USAGE", "--file cannot be combined with --at, --every or --queue.");
          }
          const options = {
            ...(o.replyTo !== undefined ? { replyTo: o.replyTo } : {}),
            ...(o.thread !== undefined ? { threadId: o.thread } : {}),
          };
          await withClient(g, async (client) => {
            await client.authenticate();
            await client.connect();
            const conv = await client.resolveConversation(target);
            await sendFiles(client, out, conv.id, text, o.file, options);
          });
          return;
        }
        if (text === undefined)
          throw new VollyError("VOLLY_E_USAGE", "Give the message's text (or --file PATH).");
        const when = parseSendWhen(o, Date.now());
        if (when && o.thread !== undefined) {
          throw new VollyError("VOLLY_E_USAGE", "--thread cannot be combined with --at or --every.");
        }
        const options = {
          ...(o.replyTo !== undefined ? { replyTo: o.replyTo } : {}),
          ...(o.thread !== undefined ? { threadId: o.thread } : {}),
        };
        await withClient(g, (client) =>
          when
            ? scheduleSend(client, out, target, text, when, o.replyTo)
            : send(client, out, target, text, Boolean(o.queue), options),
        );
      }),
    );
}

/** `volly send --at/--every`: needs the server (it holds the message), so no --queue. */
async function scheduleSend(
  client: VollyClient,
  out: Output,
  target: string,
  text: string,
  when: NonNullable<SendWhen>,
  replyTo: string | undefined,
): Promise<void> {
  await client.authenticate();
  await client.connect();
  const conv = await client.resolveConversation(target);
  await sendLater(client, out, conv.id, text, when, replyTo);
}

/** True for the error that means the server could not be reached. */
function unreachable(err: unknown): err is VollyError {
  return err instanceof VollyError && err.code === "VOLLY_E_SERVER_UNREACHABLE";
}

/** The error `send` exits with when the server is unreachable and nothing was kept. */
function notSent(err: VollyError): VollyError {
  return new VollyError(
    "VOLLY_E_SERVER_UNREACHABLE",
    `not sent: server unreachable (${err.message}). Nothing was kept; pass --queue to keep it in the ` +
      "outbox until the server can be reached.",
  );
}

async function send(
  client: VollyClient,
  out: Output,
  target: string,
  text: string,
  queue: boolean,
  options: MessageSendOptions,
): Promise<void> {
  let offline: VollyError | undefined;
  try {
    await client.authenticate();
    await client.connect();
  } catch (err) {
    if (!unreachable(err)) throw err;
    if (!queue) throw notSent(err);
    offline = err;
  }
  let conv: ConversationRecord;
  try {
    conv = await client.resolveConversation(target);
  } catch (err) {
    // Offline, only a conversation this device already has can take the message.
    if (offline && unreachable(err)) {
      throw new VollyError(
        "VOLLY_E_SERVER_UNREACHABLE",
        `not sent: server unreachable (${err.message}), and this device has no conversation with ` +
          `${target} yet to queue it in. Nothing was kept.`,
      );
    }
    throw err;
  }
  // Encrypted and stored in the outbox first (a crash cannot lose or repeat it), then sent.
  const queued = await client.messaging.enqueue(conv.id, text, options);
  if (!offline) await client.messaging.flushOutbox();
  // Refused for good (in a channel: timed out, or no SEND_MESSAGES): VOLLY_E_FORBIDDEN, exit 6.
  const refused = client.messaging.refusal(queued.id);
  if (refused) throw refused;
  const latest = (await client.messaging.history(conv.id, 200)).find((m) => m.id === queued.id) ?? queued;
  if (latest.status !== "pending") {
    out.result(
      {
        id: latest.id,
        conversationId: latest.conversationId,
        seq: latest.seq,
        sentAt: latest.sentAt,
        ...(latest.threadId !== undefined ? { threadId: latest.threadId } : {}),
      },
      `sent ${latest.id}`,
    );
    return;
  }
  if ((await client.conversations.get(conv.id)).left) {
    throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
  }
  if (queue) {
    printQueued(out, latest);
    return;
  }
  throw new VollyError(
    "VOLLY_E_SERVER_UNREACHABLE",
    "not confirmed: the server stopped answering while the message was being sent. It is in the " +
      "outbox and the next command that connects sends it (once; `volly status` counts it).",
  );
}

/** Reports a message kept in the outbox for the next connection. */
function printQueued(out: Output, m: MessageRecord): void {
  out.result(
    { id: m.id, conversationId: m.conversationId, sentAt: m.sentAt, queued: true },
    `queued ${m.id}: the server cannot be reached; the next command that connects sends it`,
  );
}

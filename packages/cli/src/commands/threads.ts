import { messageText, type ThreadSummary, type VollyClient } from "@volly/client";
import type { Command } from "commander";
import { messageJson, messageLine, printable } from "../format.js";
import type { Output, Run } from "../output.js";
import { withClientSyncedIfReachable } from "../with-client.js";

/**
 * `volly threads CONV [ROOT] [--json]`: the threads of a community channel conversation (after
 * syncing with the server when it can be reached), most recent reply first, one line each:
 * `ROOTID  N replies  U unread  last ISO-8601  @sender: root text` ("(original deleted)" for a
 * deleted root, "(original not on this device)" for one never received); with --json one object per
 * thread `{rootId, conversationId, replyCount, unread, lastReplyAt, root?}` (`root` as `volly
 * receive --json` prints a message). With ROOT: that thread's replies, oldest first (lines or
 * objects as `volly receive` prints them), and the thread is marked read on this device.
 * A conversation that is no community channel has no threads (nothing printed).
 */
export function registerThreads(program: Command, run: Run) {
  program
    .command("threads")
    .description(
      "list the threads of a community channel (replies, unread, last reply); with ROOT, print that " +
        "thread's replies and mark it read",
    )
    .argument("<conv>", "a community channel id or its conversation id")
    .argument("[root]", "a thread's root message id: print its replies and mark it read")
    .action((target: string, root: string | undefined) =>
      run(async (out, g) => {
        await withClientSyncedIfReachable(g, out, async (client) => {
          const conv = await client.resolveConversation(target);
          if (root === undefined) await listThreads(client, out, conv.id);
          else await showThread(client, out, conv.id, root);
        });
      }),
    );
}

async function listThreads(client: VollyClient, out: Output, conversationId: string): Promise<void> {
  for (const t of await client.threads.list(conversationId)) {
    out.result(threadJson(t, conversationId), threadLine(t));
  }
}

async function showThread(client: VollyClient, out: Output, conversationId: string, root: string) {
  const ownAccountId = client.profile.accountId;
  for (const m of await client.threads.messages(conversationId, root)) {
    out.result(messageJson(m), messageLine(m, ownAccountId));
  }
  await client.threads.markRead(conversationId, root);
}

/** A thread as `--json` prints it. */
function threadJson(t: ThreadSummary, conversationId: string): Record<string, unknown> {
  return {
    rootId: t.rootId,
    conversationId,
    replyCount: t.replyCount,
    unread: t.unread,
    lastReplyAt: t.lastReplyAt,
    ...(t.root ? { root: messageJson(t.root) } : {}),
  };
}

/** A thread as one terminal line. */
function threadLine(t: ThreadSummary): string {
  const replies = `${t.replyCount} ${t.replyCount === 1 ? "reply" : "replies"}`;
  const root = !t.root
    ? "(original not on this device)"
    : t.root.body.type === "deleted"
      ? "(original deleted)"
      : `@${printable(t.root.from)}: ${printable((messageText(t.root) ?? "").replace(/\r?\n/g, " "))}`;
  return `${t.rootId}  ${replies}  ${t.unread} unread  last ${new Date(t.lastReplyAt).toISOString()}  ${root}`;
}

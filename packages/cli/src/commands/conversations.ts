import type { Command } from "commander";
import { printable } from "../format.js";
import type { Run } from "../output.js";
import { withClientSyncedIfReachable } from "../with-client.js";

/**
 * `volly conversations`: list this profile's conversations, after syncing with the server when it
 * can be reached (so a freshly linked device lists what it was added to); offline, the list this
 * device has stored, with a warning on stderr. `--json` gives each one's `unread` count and
 * `unreadMentions` (unread messages that mention this account).
 */
export function registerConversations(program: Command, run: Run) {
  program
    .command("conversations")
    .description(
      "list your conversations (synced with the server first; offline: the stored list, with a warning)",
    )
    .action(() =>
      run(async (out, g) => {
        const { list, summaries } = await withClientSyncedIfReachable(g, out, async (client) => ({
          list: await client.conversations.list(),
          summaries: await client.conversations.summaries(),
        }));
        const counts = new Map(summaries.map((s) => [s.conversation.id, s]));
        for (const c of list) {
          const summary = counts.get(c.id);
          out.result(
            {
              id: c.id,
              kind: c.kind,
              title: c.title,
              with: c.peerHandle,
              ...(c.historyStart ? { historyStart: c.historyStart } : {}),
              unread: summary?.unread ?? 0,
              unreadMentions: summary?.unreadMentions ?? 0,
            },
            `${c.id}  ${c.kind}  ${printable(c.title)}${c.left ? "  (no longer a member)" : ""}`,
          );
        }
      }),
    );
}

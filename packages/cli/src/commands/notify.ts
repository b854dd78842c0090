import {
  MUTE_PERIODS,
  type MutePeriod,
  NOTIFICATION_LEVELS,
  type NotificationLevel,
  type NotificationRule,
  type NotificationScope,
} from "@volly/client";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import type { Run } from "../output.js";
import { withClientSyncedIfReachable } from "../with-client.js";

/** Options of `volly notify`. */
interface NotifyOptions {
  level?: string;
  mute?: string;
  unmute?: boolean;
  community?: boolean;
}

/** The `--level` value: a level, or "default" (inherit). @throws VollyError VOLLY_E_USAGE otherwise */
function parseLevel(value: string): NotificationLevel | undefined {
  if (value === "default") return undefined;
  if (NOTIFICATION_LEVELS.includes(value as NotificationLevel)) return value as NotificationLevel;
  throw new VollyError(
    "VOLLY_E_USAGE",
    `--level is one of ${[...NOTIFICATION_LEVELS, "default"].join(", ")}; got ${JSON.stringify(value)}.`,
  );
}

/** The `--mute` value. @throws VollyError VOLLY_E_USAGE for anything but 1h, 8h, 1w, forever */
function parsePeriod(value: string): MutePeriod {
  if (Object.hasOwn(MUTE_PERIODS, value)) return value as MutePeriod;
  throw new VollyError(
    "VOLLY_E_USAGE",
    `--mute is one of ${Object.keys(MUTE_PERIODS).join(", ")}; got ${JSON.stringify(value)}.`,
  );
}

/** `level mentions, muted until 2026-…Z` / `default level, not muted`. */
function describeRule(rule: NotificationRule): string {
  const level = rule.level ? `level ${rule.level}` : "default level";
  const muted =
    rule.mutedUntil === undefined || (typeof rule.mutedUntil === "number" && rule.mutedUntil <= Date.now())
      ? "not muted"
      : rule.mutedUntil === "forever"
        ? "muted until turned back on"
        : `muted until ${new Date(rule.mutedUntil).toISOString()}`;
  return `${level}, ${muted}`;
}

/**
 * `volly notify CONV [--level all|mentions|none|default] [--mute 1h|8h|1w|forever] [--unmute]`
 * (`--community`: CONV is a community id): shows or changes a conversation's or community's
 * notification level and mute, kept in the account's settings and synced to its devices. Prints
 * the rule afterwards. A bad level or period is a usage error (exit 2) and nothing is changed.
 */
export function registerNotify(program: Command, run: Run) {
  program
    .command("notify")
    .description(
      "show or set when a conversation (or, with --community, a community) notifies: --level all, " +
        "mentions, none or default; --mute for 1h, 8h, 1w or forever; --unmute. Synced to the account's devices",
    )
    .argument("<conv>", "@handle, conversation id or group name; a community id with --community")
    .option("--level <level>", "all | mentions | none | default (inherit)")
    .option("--mute <period>", "1h | 8h | 1w | forever")
    .option("--unmute", "end a mute")
    .option("--community", "<conv> is a community id")
    .action((target: string, opts: NotifyOptions) =>
      run(async (out, g) => {
        const level = opts.level !== undefined ? parseLevel(opts.level) : undefined;
        const period = opts.mute !== undefined ? parsePeriod(opts.mute) : undefined;
        if (period && opts.unmute)
          throw new VollyError("VOLLY_E_USAGE", "--mute and --unmute exclude each other.");
        const result = await withClientSyncedIfReachable(g, out, async (client) => {
          const scope: NotificationScope = opts.community
            ? { communityId: target }
            : { conversationId: (await client.resolveConversation(target)).id };
          const n = client.notifications;
          if (opts.level !== undefined) await n.setLevel(scope, level);
          if (period) await n.mute(scope, period);
          if (opts.unmute) await n.unmute(scope);
          const rule = await n.rule(scope);
          await client.accountSync.idle();
          return { ...scope, ...rule };
        });
        const { conversationId, communityId, ...rule } = result as NotificationRule & {
          conversationId?: string;
          communityId?: string;
        };
        out.result(result, `${conversationId ?? communityId}: ${describeRule(rule)}`);
      }),
    );
}

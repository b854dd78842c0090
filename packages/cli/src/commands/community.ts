import { parseCommunityInvite } from "@volly/client";
import type { CommunityResponse } from "@volly/protocol";
import type { Command } from "commander";
import { expiresArg, idArg, maxUsesArg, nameArg } from "../community-args.js";
import { printable, senderLabel } from "../format.js";
import type { Output, Run } from "../output.js";
import { withClient, withSyncedClient } from "../with-client.js";
import { registerCommunityModeration } from "./community-moderation.js";

/**
 * `volly community create|list|show|invite|join|audit-log` (and the moderation commands in
 * `community-moderation.ts`): communities (Discord's guilds). Structure, roles and members are
 * server records; every text channel is an MLS group this device joins on its own.
 */
export function registerCommunity(program: Command, run: Run) {
  const community = program.command("community").description("create, join and moderate communities");
  community
    .command("create")
    .description("create a community (with a #general channel); prints its id")
    .argument("<name>", "the community's name (the server sees it)")
    .option("--description <text>", "what it is about")
    .action((name: string, o: { description?: string }) =>
      run(async (out, g) => {
        const created = await withSyncedClient(g, (c) =>
          c.communities.create(nameArg("community", name), o.description),
        );
        out.result({ communityId: created.communityId, name: created.name }, created.communityId);
      }),
    );
  community
    .command("list")
    .description("list your communities")
    .action(() =>
      run(async (out, g) => {
        const list = await withClient(g, (c) => c.communities.list());
        for (const s of list) {
          out.result(s, `${s.communityId}  ${printable(s.name)}  (${s.memberCount} members)`);
        }
      }),
    );
  community
    .command("show")
    .description("show a community: channels, roles, members with their role ids")
    .argument("<community>", "community id")
    .action((id: string) =>
      run(async (out, g) => {
        const shown = await withClient(g, (c) => c.communities.get(idArg("community", id)));
        printCommunity(out, shown);
      }),
    );
  community
    .command("invite")
    .description("create an invite; prints its link (volly-community:<server>/<code>)")
    .argument("<community>", "community id")
    .option("--expires <duration>", "how long it works: 30m, 24h, 7d or never", "7d")
    .option("--max-uses <n>", "how many joins it allows (default unlimited)")
    .option("--web", "print the <server>/c/<code> web address instead")
    .action((id: string, o: { expires: string; maxUses?: string; web?: boolean }) =>
      run(async (out, g) => {
        const ttlMs = expiresArg(o.expires);
        const maxUses = o.maxUses === undefined ? undefined : maxUsesArg(o.maxUses);
        const invite = await withClient(g, (c) =>
          c.communities.createInvite(idArg("community", id), { ttlMs, ...(maxUses ? { maxUses } : {}) }),
        );
        out.result(invite, o.web ? invite.webUrl : invite.link);
      }),
    );
  community
    .command("join")
    .description("join a community by invite link (or code); prints the community id")
    .argument("<link>", "volly-community:<server>/<code>, <server>/c/<code>, or the code")
    .action((link: string) =>
      run(async (out, g) => {
        parseCommunityInvite(link); // a malformed link fails before the profile is unlocked
        const joined = await withSyncedClient(g, (c) => c.communities.join(link));
        out.result({ communityId: joined.communityId, name: joined.name }, joined.communityId);
      }),
    );
  community
    .command("audit-log")
    .description("the community's moderation and configuration history, newest first")
    .argument("<community>", "community id")
    .action((id: string) =>
      run(async (out, g) => {
        const entries = await withClient(g, (c) => c.communities.auditLog(idArg("community", id)));
        for (const e of entries) {
          const at = new Date(e.createdAt).toISOString();
          const reason = e.reason ? `  (${printable(e.reason)})` : "";
          out.result(e, `${at}  ${e.action}  by ${e.actorAccountId}  on ${e.targetId ?? "-"}${reason}`);
        }
      }),
    );
  registerCommunityModeration(community, run);
}

/**
 * Prints a community: the whole record as one JSON line (each member with its `entityType`), or a
 * readable outline (a member that is not human marked: `@echo [bot]`).
 */
function printCommunity(out: Output, c: CommunityResponse): void {
  const roleName = new Map(c.roles.map((r) => [r.roleId, r.name]));
  const lines = [
    `${printable(c.name)} (${c.communityId})`,
    "channels:",
    ...c.channels.map(
      (ch) => `  ${ch.channelId}  ${ch.type === "category" ? "" : "#"}${printable(ch.name)}  ${ch.type}`,
    ),
    "roles:",
    ...c.roles.map((r) => `  ${r.roleId}  ${printable(r.name)}`),
    "members:",
    ...c.members.map(
      (m) =>
        `  @${senderLabel(m.handle, m.entityType)}  ${m.roleIds.map((id) => printable(roleName.get(id) ?? id)).join(", ")}` +
        (m.timedOutUntil && m.timedOutUntil > Date.now()
          ? `  (timed out until ${new Date(m.timedOutUntil).toISOString()})`
          : ""),
    ),
  ];
  out.result(c, lines.join("\n"));
}

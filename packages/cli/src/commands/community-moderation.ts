import type { Command } from "commander";
import { idArg, memberArg, reasonArg, timeoutArg } from "../community-args.js";
import type { Run } from "../output.js";
import { withClient } from "../with-client.js";

/** `volly community kick|ban|unban|timeout COMMUNITY @handle`: moderation (each in the audit log). */
export function registerCommunityModeration(community: Command, run: Run) {
  for (const action of ["kick", "ban", "unban"] as const) {
    const cmd = community
      .command(action)
      .description(
        {
          kick: "remove a member (KICK_MEMBERS); they may rejoin with an invite",
          ban: "ban an account (BAN_MEMBERS): removed, and refused by invites",
          unban: "lift a ban (BAN_MEMBERS)",
        }[action],
      )
      .argument("<community>", "community id")
      .argument("<handle>", "@handle of the member");
    if (action !== "unban") cmd.option("--reason <text>", "shown in the audit log");
    cmd.action((id: string, handle: string, o: { reason?: string }) =>
      run(async (out, g) => {
        const communityId = idArg("community", id);
        const member = memberArg(handle);
        const reason = reasonArg(o.reason);
        await withClient(g, (c) =>
          action === "unban"
            ? c.communities.unban(communityId, member)
            : c.communities[action](communityId, member, reason),
        );
        const past = { kick: "kicked", ban: "banned", unban: "unbanned" }[action];
        out.result({ communityId, member, action }, `${past} ${member}`);
      }),
    );
  }
  community
    .command("timeout")
    .description("stop a member from sending for a while (MODERATE_MEMBERS); --for 0 ends it")
    .argument("<community>", "community id")
    .argument("<handle>", "@handle of the member")
    .requiredOption("--for <duration>", "how long: 10m, 2h, 7d (at most 28d), or 0 to end a timeout")
    .option("--reason <text>", "shown in the audit log")
    .action((id: string, handle: string, o: { for: string; reason?: string }) =>
      run(async (out, g) => {
        const communityId = idArg("community", id);
        const member = memberArg(handle);
        const durationMs = timeoutArg(o.for);
        const reason = reasonArg(o.reason);
        const updated = await withClient(g, (c) =>
          c.communities.timeout(communityId, member, durationMs, reason),
        );
        const until = updated.timedOutUntil;
        out.result(
          { communityId, member, timedOutUntil: until ?? null },
          until ? `${member} timed out until ${new Date(until).toISOString()}` : `${member} may send again`,
        );
      }),
    );
}

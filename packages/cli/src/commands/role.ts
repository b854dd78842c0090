import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { findRole, idArg, memberArg, nameArg, permissionsArg } from "../community-args.js";
import type { Run } from "../output.js";
import { withClient } from "../with-client.js";

/** `volly role create|assign|unassign`: a community's roles (Discord's model). */
export function registerRole(program: Command, run: Run) {
  const role = program.command("role").description("create roles and give them to members");
  role
    .command("create")
    .description("create a role (MANAGE_ROLES; only permissions you have); prints its id")
    .argument("<community>", "community id")
    .argument("<name>", "the role's name")
    .option("--permissions <list>", "e.g. VIEW_CHANNEL,SEND_MESSAGES,KICK_MEMBERS (default none)")
    .option("--color <hex>", "RRGGBB")
    .action((id: string, name: string, o: { permissions?: string; color?: string }) =>
      run(async (out, g) => {
        const communityId = idArg("community", id);
        const roleName = nameArg("role", name);
        const permissions = o.permissions === undefined ? [] : permissionsArg(o.permissions);
        const color = o.color === undefined ? undefined : colorArg(o.color);
        const created = await withClient(g, (c) =>
          c.communities.createRole(communityId, {
            name: roleName,
            permissions,
            ...(color !== undefined ? { color } : {}),
          }),
        );
        out.result({ ...created, communityId }, created.roleId);
      }),
    );
  for (const verb of ["assign", "unassign"] as const) {
    role
      .command(verb)
      .description(verb === "assign" ? "give a member a role (MANAGE_ROLES)" : "take a role from a member")
      .argument("<community>", "community id")
      .argument("<role>", "role id or name")
      .argument("<handle>", "@handle of the member")
      .action((id: string, roleArg: string, handle: string) =>
        run(async (out, g) => {
          const communityId = idArg("community", id);
          const member = memberArg(handle);
          const updated = await withClient(g, async (c) => {
            const roleId = findRole(await c.communities.get(communityId), roleArg);
            return verb === "assign"
              ? c.communities.assignRole(communityId, member, roleId)
              : c.communities.unassignRole(communityId, member, roleId);
          });
          out.result(
            { communityId, member, roleIds: updated.roleIds },
            `${verb === "assign" ? "gave" : "took"} ${roleArg} ${verb === "assign" ? "to" : "from"} ${member}`,
          );
        }),
      );
  }
}

/** `--color RRGGBB` (a leading # allowed) as an integer. Throws VOLLY_E_USAGE. */
function colorArg(value: string): number {
  const hex = value.replace(/^#/, "");
  if (!/^[0-9a-fA-F]{6}$/.test(hex))
    throw new VollyError("VOLLY_E_USAGE", `--color takes RRGGBB, got ${value}`);
  return Number.parseInt(hex, 16);
}

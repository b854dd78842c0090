import { entityTypeOf, type VollyClient } from "@volly/client";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { printable, senderLabel } from "../format.js";
import type { Run } from "../output.js";
import { withClientSyncedIfReachable, withSyncedClient } from "../with-client.js";

/** Strips the leading "@" of a handle argument. Throws VOLLY_E_USAGE when it is missing. */
function handleArg(value: string): string {
  if (!value.startsWith("@")) throw new VollyError("VOLLY_E_USAGE", `Expected @handle, got ${value}`);
  return value.slice(1);
}

/**
 * `volly group create|add|remove|rename|leave` and `volly groups`: group conversations
 * (MLS groups of every member's devices; RFC 9420 §12.1.1 Add, §12.1.3 Remove). `groups` syncs
 * with the server first when it can be reached (else lists the stored state, with a warning);
 * each group's JSON has `memberTypes` (handle → entity type) and its line names the members that
 * are not human (`echo [bot]`).
 */
/**
 * {@link withSyncedClient} for a membership change (create, add, remove, rename, leave): only the
 * server orders commits (RFC 9420 §12.4; DESIGN.md "P2P and federation"), so without it the change
 * waits — and the error says so, and that messages still reach directly linked devices.
 *
 * @throws VollyError VOLLY_E_SERVER_UNREACHABLE with that explanation, and the errors of `fn`
 */
async function membershipChange<T>(
  g: Parameters<typeof withSyncedClient>[0],
  fn: (c: VollyClient) => Promise<T>,
): Promise<T> {
  try {
    return await withSyncedClient(g, fn);
  } catch (err) {
    if (!(err instanceof VollyError && err.code === "VOLLY_E_SERVER_UNREACHABLE")) throw err;
    throw new VollyError(
      "VOLLY_E_SERVER_UNREACHABLE",
      "The server cannot be reached: membership changes wait for it (only the server orders them). " +
        "Messages still reach member devices linked directly (volly daemon --direct).",
      { cause: err.message },
    );
  }
}

export function registerGroup(program: Command, run: Run) {
  const group = program.command("group").description("create and manage group conversations");
  group
    .command("create")
    .description("create a group; prints its conversation id")
    .argument("<name>", "the group's name (encrypted; the server never sees it)")
    .option(
      "--member <handle>",
      "@handle of a member (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .action((name: string, o: { member: string[] }) =>
      run(async (out, g) => {
        const handles = o.member.map(handleArg);
        const conv = await membershipChange(g, (c) => c.conversations.createGroup(name, handles));
        out.result({ conversationId: conv.id, name: conv.title, members: handles }, conv.id);
      }),
    );
  group
    .command("add")
    .description("add people (all their devices) to a group")
    .argument("<conversation>", "conversation id")
    .argument("<handles...>", "@handle of each person to add")
    .action((id: string, handles: string[]) =>
      run(async (out, g) => {
        const conv = await membershipChange(g, (c) => c.conversations.addMembers(id, handles.map(handleArg)));
        out.result(
          { conversationId: conv.id, added: handles },
          `added ${handles.join(", ")} to ${conv.title}`,
        );
      }),
    );
  group
    .command("remove")
    .description("remove a person (all their devices) from a group")
    .argument("<conversation>", "conversation id")
    .argument("<handle>", "@handle of the person to remove")
    .action((id: string, handle: string) =>
      run(async (out, g) => {
        const conv = await membershipChange(g, (c) => c.conversations.removeMember(id, handleArg(handle)));
        out.result({ conversationId: conv.id, removed: handle }, `removed ${handle} from ${conv.title}`);
      }),
    );
  group
    .command("rename")
    .description("rename a group")
    .argument("<conversation>", "conversation id")
    .argument("<name>", "the new name")
    .action((id: string, name: string) =>
      run(async (out, g) => {
        const conv = await membershipChange(g, (c) => c.conversations.rename(id, name));
        out.result({ conversationId: conv.id, name: conv.title }, `renamed to ${conv.title}`);
      }),
    );
  group
    .command("leave")
    .description("leave a group")
    .argument("<conversation>", "conversation id")
    .action((id: string) =>
      run(async (out, g) => {
        await membershipChange(g, (c) => c.conversations.leave(id));
        out.result({ conversationId: id, left: true }, `left ${id}`);
      }),
    );
  program
    .command("groups")
    .description(
      "list your group conversations (synced with the server first; offline: the stored list, with a warning)",
    )
    .action(() =>
      run(async (out, g) => {
        const list = await withClientSyncedIfReachable(g, out, (c) => c.conversations.list());
        for (const c of list.filter((x) => x.kind === "group")) {
          const members = (c.members ?? []).map((m) => m.handle);
          const memberTypes = Object.fromEntries(
            members.map((handle) => [handle, entityTypeOf(c, { handle })] as const),
          );
          const machines = members
            .filter((h) => memberTypes[h] !== "human")
            .map((h) => senderLabel(h, memberTypes[h]));
          out.result(
            { id: c.id, name: c.title, members, memberTypes, left: Boolean(c.left) },
            `${c.id}  ${printable(c.title)}  ${groupSize(members.length, Boolean(c.left))}` +
              (machines.length > 0 ? `  ${machines.join(", ")}` : ""),
          );
        }
      }),
    );
}

/**
 * `(3 members)` — the other members plus you — or, once this device left or was removed,
 * `(no longer a member)`: the member list it kept then is not current, so no count is shown.
 */
function groupSize(others: number, left: boolean): string {
  if (left) return "(no longer a member)";
  return `(${others + 1} member${others === 0 ? "" : "s"})`;
}

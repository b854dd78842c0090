import { expect } from "vitest";
import { jsonLines, runVolly } from "./cli.js";

/** alice, bob and carol set up through the real CLI, with a direct conversation and a group. */
export interface CliTrio {
  /** alice's direct conversation with bob (accepted from alice's invite). */
  directId: string;
  /** The group "Weekend trip" alice created with bob and carol. */
  groupId: string;
}

/**
 * Creates the accounts alice, bob and carol on `serverUrl` (`as(handle)` gives each one's profile
 * and PIN flags), has bob accept alice's invite (a direct conversation) and alice create the group
 * "Weekend trip" with bob and carol. Every step must succeed.
 */
export async function setUpCliTrio(as: (handle: string) => string[], serverUrl: string): Promise<CliTrio> {
  await Promise.all(
    ["alice", "bob", "carol"].map(async (handle) => {
      const r = await runVolly([...as(handle), "init", "--server", serverUrl, "--handle", handle]);
      expect(r.code, r.stderr).toBe(0);
    }),
  );
  const invite = await runVolly([...as("alice"), "invite"]);
  const accepted = await runVolly([...as("bob"), "--json", "accept", invite.stdout.trim()]);
  expect(accepted.code, accepted.stderr).toBe(0);
  const directId = (jsonLines(accepted.stdout)[0] as { conversationId: string }).conversationId;
  const created = await runVolly([
    ...as("alice"),
    "group",
    "create",
    "Weekend trip",
    "--member",
    "@bob",
    "--member",
    "@carol",
  ]);
  expect(created.code, created.stderr).toBe(0);
  return { directId, groupId: created.stdout.trim() };
}

/** `volly send TARGET TEXT` as `handle`, which must succeed. */
export async function sendAs(
  as: (handle: string) => string[],
  handle: string,
  target: string,
  text: string,
): Promise<void> {
  const r = await runVolly([...as(handle), "send", target, text]);
  expect(r.code, r.stderr).toBe(0);
}

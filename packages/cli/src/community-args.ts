import type { VollyClient } from "@volly/client";
import {
  type CommunityChannel,
  type CommunityResponse,
  ID_PATTERN,
  PERMISSION_NAMES,
  type PermissionName,
  parseHandle,
  VollyError,
} from "@volly/protocol";
import { parseDuration } from "./options.js";

const ID = new RegExp(ID_PATTERN);

/** Checks an id argument (22 base64url characters). Throws VOLLY_E_USAGE naming `what`. */
export function idArg(what: string, value: string): string {
  if (!ID.test(value)) throw new VollyError("VOLLY_E_USAGE", `Not a ${what} id: ${value}`);
  return value;
}

/**
 * Checks a `@handle` argument — `@alice`, or `@alice@b.example` for another server's account — and
 * returns it lowercase with its `@` (`@Alice@B.example` → `@alice@b.example`). The `@` is required:
 * it tells a handle from an id.
 *
 * @throws VollyError VOLLY_E_USAGE (no leading `@`), VOLLY_E_HANDLE_INVALID (not a handle:
 *   `QUALIFIED_HANDLE_PATTERN`)
 */
export function memberArg(value: string): string {
  if (!value.startsWith("@")) throw new VollyError("VOLLY_E_USAGE", `Expected @handle, got ${value}`);
  const parts = parseHandle(value);
  if (!parts) {
    throw new VollyError("VOLLY_E_HANDLE_INVALID", `Not a handle: ${value}`, { handle: value.slice(1) });
  }
  return `@${parts.user}${parts.server === undefined ? "" : `@${parts.server}`}`;
}

/** Checks a name argument (1–100 characters, not blank). Throws VOLLY_E_USAGE. */
export function nameArg(what: string, value: string): string {
  if (value.trim() === "" || value.length > 100) {
    throw new VollyError("VOLLY_E_USAGE", `A ${what} name has 1 to 100 characters, not only spaces.`);
  }
  return value;
}

/**
 * Parses `VIEW_CHANNEL,SEND_MESSAGES,…` (Discord's permission names, case-insensitive). Throws
 * VOLLY_E_USAGE naming the unknown ones and listing the valid names.
 */
export function permissionsArg(value: string): PermissionName[] {
  const items = value.split(",").map((p) => p.trim().toUpperCase());
  const unknown = items.filter((p) => !(PERMISSION_NAMES as readonly string[]).includes(p));
  if (items.length === 0 || unknown.length > 0) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `Unknown permission ${unknown.map((u) => JSON.stringify(u)).join(", ")}; one of: ${PERMISSION_NAMES.join(", ")}`,
    );
  }
  return [...new Set(items)] as PermissionName[];
}

/** `--expires`: a duration (`30m`, `24h`, `7d`) or `never`, as ms (0 = never). Throws VOLLY_E_USAGE. */
export function expiresArg(value: string): number {
  if (value === "never") return 0;
  const ms = parseDuration(value);
  if (ms === 0 || ms > 365 * 86_400_000) {
    throw new VollyError("VOLLY_E_USAGE", "--expires must be from 1s to 365d, or never");
  }
  return ms;
}

/** `--for`: a timeout's duration (`10m`, `1h`, `7d`, at most 28d), or `0` to end one. Throws VOLLY_E_USAGE. */
export function timeoutArg(value: string): number {
  if (value === "0") return 0;
  const ms = parseDuration(value);
  if (ms === 0 || ms > 28 * 86_400_000) {
    throw new VollyError("VOLLY_E_USAGE", "--for must be from 1s to 28d (e.g. 10m), or 0 to end a timeout");
  }
  return ms;
}

/** `--max-uses`: a whole number from 1 to 100,000. Throws VOLLY_E_USAGE. */
export function maxUsesArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 100_000) {
    throw new VollyError("VOLLY_E_USAGE", "--max-uses must be a whole number from 1 to 100000");
  }
  return Number(value);
}

/** `--reason`: 1 to 512 characters. Throws VOLLY_E_USAGE. */
export function reasonArg(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === "" || value.length > 512) {
    throw new VollyError("VOLLY_E_USAGE", "--reason has 1 to 512 characters");
  }
  return value;
}

/**
 * A role of `community` named by its id or its name (`@everyone` included). Throws
 * VOLLY_E_UNKNOWN_ROLE.
 */
export function findRole(community: CommunityResponse, role: string): string {
  const found =
    community.roles.find((r) => r.roleId === role) ?? community.roles.find((r) => r.name === role);
  if (!found) throw new VollyError("VOLLY_E_UNKNOWN_ROLE", `No role ${role} in ${community.name}.`);
  return found.roleId;
}

/**
 * The community and channel of a channel id, among this account's communities (as this account
 * sees them). Throws VOLLY_E_UNKNOWN_CHANNEL.
 */
export async function findChannel(
  client: VollyClient,
  channelId: string,
): Promise<{ community: CommunityResponse; channel: CommunityChannel }> {
  for (const summary of await client.communities.list()) {
    const community = await client.communities.get(summary.communityId);
    const channel = community.channels.find((c) => c.channelId === channelId);
    if (channel) return { community, channel };
  }
  throw new VollyError("VOLLY_E_UNKNOWN_CHANNEL", `No channel ${channelId} you may view.`, { channelId });
}

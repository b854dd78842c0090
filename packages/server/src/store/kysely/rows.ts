/**
 * Row ↔ record conversions shared by the Kysely repositories. `Number()` on every integer column
 * keeps them dialect-agnostic (PostgreSQL drivers return `bigint` columns as strings).
 */
import { type LogKind, MEMBERSHIP_POLICY_NAMES, type MembershipPolicyName } from "../types.js";

/** Converts an integer column value (number, bigint or numeric string) to a JS number. */
export function num(value: number | bigint | string): number {
  return Number(value);
}

/** Like {@link num}, keeping null (nullable integer columns). */
export function numOrNull(value: number | bigint | string | null): number | null {
  return value === null ? null : Number(value);
}

/** Narrows a stored `kind` column to {@link LogKind} (unknown values read as "application"). */
export function logKind(value: string): LogKind {
  return value === "commit" || value === "departure" ? value : "application";
}

/**
 * Narrows a stored `membership_policy` column to {@link MembershipPolicyName}. An unknown name (a
 * newer server's policy, read by an older node) fails instead of reading as another policy, so no
 * group is ever governed by rules it was not created with.
 *
 * @throws Error naming the unknown policy
 */
export function membershipPolicy(value: string): MembershipPolicyName {
  if ((MEMBERSHIP_POLICY_NAMES as readonly string[]).includes(value)) return value as MembershipPolicyName;
  throw new Error(`unknown membership policy ${JSON.stringify(value)} in the groups table`);
}

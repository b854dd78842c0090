import type { CredentialIdentity, GroupMember } from "@volly/crypto";
import type { MembershipBody, MembershipParty } from "../messaging/message-records.js";

/** What {@link commitMembershipChanges} compares. */
export interface CommitMembershipInput {
  /** The group's leaves before the commit (RFC 9420 §7.8). */
  before: readonly GroupMember[];
  /** The group's leaves after it. */
  after: readonly GroupMember[];
  /** The committer: the commit's sender leaf credential (undefined: not known, no Add/Remove event). */
  committer: CredentialIdentity | undefined;
  /** Devices whose departure (leaving, revocation) this device had recorded before the commit. */
  departed: ReadonlySet<string>;
  /** This device's account: its own membership changes are told apart ("joined", "removed you"). */
  ownAccountId: string;
  /** The name of an account as the device knows it (handle; the account id when unknown). */
  party(accountId: string): MembershipParty;
}

/** The leaves' device ids by account id. */
function devicesByAccount(leaves: readonly GroupMember[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const leaf of leaves) {
    const devices = out.get(leaf.credential.accountId) ?? [];
    devices.push(leaf.credential.deviceId);
    out.set(leaf.credential.accountId, devices);
  }
  return out;
}

/** Parties in handle order. */
function sorted(parties: MembershipParty[]): MembershipParty[] {
  return parties.sort((a, b) => a.handle.localeCompare(b.handle));
}

/**
 * The membership events of one commit, account by account (RFC 9420 §12.4: a commit's Add and
 * Remove proposals change the leaves): accounts with leaves after but none before were added by
 * the committer; accounts with leaves before but none after were removed by the committer, or
 * left — when every device of theirs had departed (a departure entry, then a remaining member's
 * Remove). A change of an existing member's devices only (linking, revoking one device, a resync
 * replacing a leaf) is no event; neither is this account's own membership (see `welcome.ts` and the
 * removed-device path of `group-commits.ts`). Events in order: added, removed, then one per leaver.
 */
export function commitMembershipChanges(input: CommitMembershipInput): MembershipBody[] {
  const before = devicesByAccount(input.before);
  const after = devicesByAccount(input.after);
  const others = (accounts: Iterable<string>) => [...accounts].filter((a) => a !== input.ownAccountId);
  const added = others(after.keys()).filter((a) => !before.has(a));
  const gone = others(before.keys()).filter((a) => !after.has(a));
  const left = gone.filter((a) => (before.get(a) ?? []).every((d) => input.departed.has(d)));
  const removed = gone.filter((a) => !left.includes(a));
  const bodies: MembershipBody[] = [];
  if (input.committer) {
    const actor = input.party(input.committer.accountId);
    if (added.length > 0) {
      bodies.push({ type: "membership", change: "added", actor, subjects: sorted(added.map(input.party)) });
    }
    if (removed.length > 0) {
      bodies.push({
        type: "membership",
        change: "removed",
        actor,
        subjects: sorted(removed.map(input.party)),
      });
    }
  }
  for (const accountId of left) {
    const who = input.party(accountId);
    bodies.push({ type: "membership", change: "left", actor: who, subjects: [who] });
  }
  return bodies;
}

import { fingerprint, parseInvite, verifyInvite } from "@volly/crypto";
import { type ClaimReason, fromBase64Url, VollyError } from "@volly/protocol";
import type { Repositories } from "../store/types.js";
import type { ClaimLimits } from "./service-limits.js";

/** Who claims: the authenticated device and its account. */
export interface Claimer {
  accountId: string;
  deviceId: string;
}

/**
 * Checks that `reason` covers every target device not of the claimer's own account (`others`:
 * device id → account id). The rules, per reason (see `ClaimReason` in protocol):
 *
 * - `conversation`: the claimer's device is a current member of the group, and each other target's
 *   account has a device that is;
 * - `invite`: the token parses, has not expired, names an account whose (unrevoked) device key has
 *   the invite's fingerprint and verifies its Ed25519 signature, and every other target is a device
 *   of that account;
 * - `group-add`: the claimer's device is a current member of the group, or no group has that id yet
 *   (the claimer is about to create it);
 * - `first-contact`: the other targets are the devices of one account.
 *
 * @param now ms since the Unix epoch (invite expiry)
 * @throws VOLLY_E_CLAIM_REASON_INVALID (details.reason, details.deviceId when one target is the
 *   problem), VOLLY_E_INVITE_INVALID, VOLLY_E_INVITE_EXPIRED
 */
export async function checkClaimReason(
  tx: Repositories,
  claimer: Claimer,
  reason: ClaimReason,
  others: ReadonlyMap<string, string>,
  now: number,
): Promise<void> {
  const refuse = (message: string, deviceId?: string) =>
    new VollyError("VOLLY_E_CLAIM_REASON_INVALID", message, {
      reason: reason.type,
      ...(deviceId !== undefined ? { deviceId } : {}),
    });
  const isCurrentMember = async (groupId: string) =>
    (await tx.groups.findMembership(groupId, claimer.deviceId))?.leftSeq === null;
  switch (reason.type) {
    case "conversation": {
      if (!(await isCurrentMember(reason.groupId))) {
        throw refuse("This device is not a member of that conversation.");
      }
      const members = await tx.devices.accountsOf(await tx.groups.listMembers(reason.groupId));
      const present = new Set(members.values());
      for (const [deviceId, accountId] of others) {
        if (!present.has(accountId)) throw refuse("That account is not in the conversation.", deviceId);
      }
      return;
    }
    case "invite": {
      const inviter = await verifiedInviter(tx, reason.invite, now);
      for (const [deviceId, accountId] of others) {
        if (accountId !== inviter) throw refuse("That device is not of the inviting account.", deviceId);
      }
      return;
    }
    case "group-add": {
      if (await isCurrentMember(reason.groupId)) return;
      if (await tx.groups.find(reason.groupId)) throw refuse("This device is not a member of that group.");
      return;
    }
    case "first-contact": {
      if (new Set(others.values()).size > 1) {
        throw refuse("A first contact claims the devices of one account.");
      }
      return;
    }
  }
}

/**
 * The account that signed the invite `token` (base64url payload "." base64url signature), checked with
 * the key the server stores for one of its unrevoked devices.
 *
 * @throws VOLLY_E_INVITE_INVALID (malformed, unknown handle, no device with that fingerprint, bad
 *   signature), VOLLY_E_INVITE_EXPIRED
 */
async function verifiedInviter(tx: Repositories, token: string, now: number): Promise<string> {
  const invite = parseInvite(`volly://invite/${token}`, now);
  const account = await tx.accounts.findByHandle(invite.payload.handle);
  const devices = account ? await tx.devices.listByAccount(account.id) : [];
  const signer = devices.find(
    (d) =>
      d.revokedAt === undefined &&
      fingerprint(fromBase64Url(d.signaturePublicKey)) === invite.payload.fingerprint,
  );
  if (!account || !signer) {
    throw new VollyError("VOLLY_E_INVITE_INVALID", "No device of that account signed this invite.");
  }
  try {
    verifyInvite(invite, fromBase64Url(signer.signaturePublicKey));
  } catch {
    throw new VollyError("VOLLY_E_INVITE_INVALID", "The invite's signature does not verify.");
  }
  return account.id;
}

/**
 * Takes the claim's share of the claimer-side limits (in the claim's transaction, so a refused claim
 * takes nothing): `devices` against the claimer's per-window device budget, and for a first contact one
 * claim against the claimer's and the target account's first-contact budgets.
 *
 * @param targetAccount the other account of a `first-contact` claim, if any
 * @throws VOLLY_E_RATE_LIMITED (details.scope "claimer" | "first-contact" | "target", details.retryAfterMs)
 */
export async function takeClaimLimits(
  tx: Repositories,
  limits: ClaimLimits,
  claimer: Claimer,
  devices: number,
  firstContactTarget: string | undefined,
  now: number,
): Promise<void> {
  const take = async (key: string, cost: number, limit: number, scope: string) => {
    const result = await tx.rateLimits.take(key, cost, limit, limits.windowMs, now);
    if (!result.allowed) {
      throw new VollyError("VOLLY_E_RATE_LIMITED", "Too many key package claims; retry later.", {
        scope,
        retryAfterMs: result.retryAfterMs,
      });
    }
  };
  await take(`claim:claimer:${claimer.accountId}`, devices, limits.perClaimer, "claimer");
  if (firstContactTarget !== undefined) {
    await take(`claim:first-contact:${claimer.accountId}`, 1, limits.firstContactPerClaimer, "first-contact");
    await take(`claim:first-contact-target:${firstContactTarget}`, 1, limits.firstContactPerTarget, "target");
  }
}

/**
 * Whether another account may have one more of `deviceId`'s one-time packages now (its per-device
 * budget, RFC 9420 §16.8: past it, the last-resort package is handed out instead).
 */
export async function mayTakeOneTime(
  tx: Repositories,
  limits: ClaimLimits,
  deviceId: string,
  now: number,
): Promise<boolean> {
  const result = await tx.rateLimits.take(
    `claim:one-time:${deviceId}`,
    1,
    limits.oneTimePerTarget,
    limits.windowMs,
    now,
  );
  return result.allowed;
}

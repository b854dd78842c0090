import { groupMembers, inspectKeyPackage, type MlsGroup } from "@volly/crypto";
import {
  type AccountEntry,
  type ClaimReason,
  type EntityType,
  fromBase64Url,
  VollyError,
} from "@volly/protocol";
import type { ClientContext } from "../shared/client-context.js";
import type { ResponseOf } from "../transport/http-api.js";
import type { ConversationMember } from "./conversation-records.js";

/** What the directory says about one device (cached sealed in the local store, `Stores.devices`). */
export interface DeviceInfo {
  deviceId: string;
  accountId: string;
  handle: string;
  displayName?: string;
  /**
   * What the device's account is (human, bot, agent, service, device). Absent in entries cached
   * before the SDK kept it (`device()` looks those up once more), or answered by a server that does
   * not say it.
   */
  entityType?: EntityType;
  /** True once the entry came from a look-up that could say the entity type (set by the SDK). */
  typed?: true;
  /** base64url Ed25519 public key. */
  signaturePublicKey: string;
}

/** A key package claimed for a device and checked against the directory. */
export interface VerifiedKeyPackage {
  deviceId: string;
  accountId: string;
  /** Encoded MLSMessage (mls_key_package). */
  keyPackage: Uint8Array;
}

/** Whose devices to claim key packages for. */
export interface ClaimTarget {
  account: AccountEntry;
  /**
   * When true, the account must end up with at least one device (else VOLLY_E_NO_KEY_PACKAGE);
   * when false (this account's other devices) devices without packages are silently skipped.
   */
  required: boolean;
}

/**
 * The authentication service's directory as the SDK uses it: account and device look-ups (device
 * look-ups are cached in the local store), and claiming key packages that are checked against the keys
 * the directory lists — the one place that check is done (direct conversations, groups, adds).
 */
export class Directory {
  constructor(private readonly ctx: ClientContext) {}

  /**
   * Looks an account up by handle (GET /v1/accounts/:handle) and caches its devices. Throws
   * VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_SERVER_UNREACHABLE.
   */
  async account(handle: string): Promise<AccountEntry> {
    const account = await this.ctx.api.call("getAccount", { params: { handle } });
    await this.remember(account);
    return account;
  }

  /** Caches every device of a directory entry (so members resolve without more look-ups). */
  async remember(account: AccountEntry): Promise<void> {
    const batch = this.ctx.stores.batch();
    for (const d of account.devices) {
      const info: DeviceInfo = {
        deviceId: d.deviceId,
        accountId: account.accountId,
        handle: account.handle,
        signaturePublicKey: d.signaturePublicKey,
        ...(account.displayName !== undefined ? { displayName: account.displayName } : {}),
        entityType: account.entityType,
        typed: true,
      };
      this.ctx.stores.devices.put(batch, d.deviceId, info);
    }
    await batch.commit();
  }

  /**
   * One device (GET /v1/devices/:deviceId), from the local cache when known. Throws
   * VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_SERVER_UNREACHABLE.
   */
  async device(deviceId: string): Promise<DeviceInfo> {
    const cached = await this.ctx.stores.devices.get(deviceId);
    if (cached?.typed) return cached;
    // An entry cached without the entity type is looked up once more (the cached one stands in
    // when the server cannot be reached).
    const d = await this.ctx.api.call("getDevice", { params: { deviceId } }).catch((err: unknown) => {
      if (cached) return undefined;
      throw err;
    });
    if (!d) return cached as DeviceInfo;
    const info: DeviceInfo = {
      deviceId: d.deviceId,
      accountId: d.accountId,
      handle: d.handle,
      signaturePublicKey: d.signaturePublicKey,
      ...(d.displayName !== undefined ? { displayName: d.displayName } : {}),
      ...(d.entityType !== undefined ? { entityType: d.entityType } : {}),
      typed: true,
    };
    await this.ctx.stores.devices.put(this.ctx.stores.batch(), deviceId, info).commit();
    return info;
  }

  /**
   * The accounts in a group other than this one, from its MLS leaves (each leaf's credential names
   * account and device; the directory gives handle, display name and entity type). A leaf whose device the
   * directory attributes to another account is not trusted for naming. When a look-up fails, the
   * entry from `previous` is kept, else the account id stands in for the handle; a member's avatar
   * (from its profile messages) is kept from `previous`. Never throws.
   */
  async membersOf(group: MlsGroup, previous: ConversationMember[] = []): Promise<ConversationMember[]> {
    const byAccount = new Map<string, string[]>();
    for (const m of groupMembers(group)) {
      if (m.credential.accountId === this.ctx.profile.accountId) continue;
      const devices = byAccount.get(m.credential.accountId) ?? [];
      devices.push(m.credential.deviceId);
      byAccount.set(m.credential.accountId, devices);
    }
    const members: ConversationMember[] = [];
    for (const [accountId, deviceIds] of byAccount) {
      let found: ConversationMember | undefined;
      for (const deviceId of deviceIds) {
        const info = await this.device(deviceId).catch((err: unknown) => {
          this.ctx.diagnostics.report("directory.member-lookup", err);
          return undefined;
        });
        if (info?.accountId !== accountId) continue;
        found = {
          accountId,
          handle: info.handle,
          ...(info.displayName !== undefined ? { displayName: info.displayName } : {}),
          ...(info.entityType !== undefined ? { entityType: info.entityType } : {}),
        };
        break;
      }
      const before = previous.find((p) => p.accountId === accountId);
      // The avatar comes from the account's profile messages, not the directory: it is kept.
      const kept =
        found && before?.avatarAt !== undefined
          ? {
              ...found,
              ...(before.avatar ? { avatar: before.avatar } : {}),
              avatarAt: before.avatarAt,
            }
          : found;
      members.push(kept ?? before ?? { accountId, handle: accountId });
    }
    return members.sort((a, b) => a.handle.localeCompare(b.handle));
  }

  /**
   * Claims one key package per device of the targets (POST /v1/key-packages/claim), skipping
   * `skipDeviceIds`, and checks each is signed by the key the directory lists for that device and
   * names that device and account in its credential (RFC 9420 §5.3, §10.1). Devices without a
   * package are dropped and the claim retried; the claim is all or nothing on the server.
   *
   * @param reason why (the server checks it covers every device not of this account): `invite` or
   *   `first-contact` for a direct conversation, `group-add` for a group being created or added to,
   *   `conversation` for a conversation the targets' accounts are already in
   *
   * @throws VOLLY_E_KEY_PACKAGE_FOREIGN (a package does not match the directory),
   *   VOLLY_E_KEY_PACKAGE_INVALID, VOLLY_E_NO_KEY_PACKAGE (a required account has no device with a
   *   package), VOLLY_E_CLAIM_REASON_INVALID, VOLLY_E_RATE_LIMITED, VOLLY_E_SERVER_UNREACHABLE
   */
  async claimVerified(
    targets: ClaimTarget[],
    skipDeviceIds: Set<string>,
    reason: ClaimReason,
  ): Promise<VerifiedKeyPackage[]> {
    let wanted = targets.flatMap((t) =>
      t.account.devices
        .filter((d) => !skipDeviceIds.has(d.deviceId))
        .map((device) => ({ target: t, device })),
    );
    for (const t of targets) {
      if (t.required && !wanted.some((w) => w.target === t)) {
        throw new VollyError("VOLLY_E_NO_KEY_PACKAGE", `@${t.account.handle} has no device to add.`, {
          handle: t.account.handle,
        });
      }
    }
    if (wanted.length === 0) return [];
    for (;;) {
      let claimed: ResponseOf<"claimKeyPackages">;
      try {
        claimed = await this.ctx.api.call("claimKeyPackages", {
          body: { deviceIds: wanted.map((w) => w.device.deviceId), reason },
        });
      } catch (err) {
        const missing = err instanceof VollyError ? err.details?.deviceId : undefined;
        const dropped = wanted.find((w) => w.device.deviceId === missing);
        const skippable =
          err instanceof VollyError &&
          (err.code === "VOLLY_E_NO_KEY_PACKAGE" || err.code === "VOLLY_E_UNKNOWN_DEVICE");
        if (!skippable || !dropped) throw err;
        wanted = wanted.filter((w) => w !== dropped);
        if (dropped.target.required && !wanted.some((w) => w.target === dropped.target)) throw err;
        if (wanted.length === 0) return [];
        continue;
      }
      const out: VerifiedKeyPackage[] = [];
      for (const c of claimed.keyPackages) {
        const w = wanted.find((x) => x.device.deviceId === c.deviceId);
        const bytes = fromBase64Url(c.keyPackage);
        const info = await inspectKeyPackage(this.ctx.suite, bytes);
        if (
          !w ||
          info.signaturePublicKey !== w.device.signaturePublicKey ||
          info.credential.deviceId !== c.deviceId ||
          info.credential.accountId !== w.target.account.accountId
        ) {
          throw new VollyError(
            "VOLLY_E_KEY_PACKAGE_FOREIGN",
            "A claimed key package does not match the directory.",
            { deviceId: c.deviceId },
          );
        }
        out.push({ deviceId: c.deviceId, accountId: w.target.account.accountId, keyPackage: bytes });
      }
      return out;
    }
  }
}

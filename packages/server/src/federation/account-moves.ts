import {
  ACCOUNT_MOVE_MAX_AGE_MS,
  type AccountMove,
  FEDERATION_PREFIX,
  FederatedAccount,
  FederatedMoveResponse,
  type ImportAccountBody,
  type ImportAccountResponse,
  isValidHandle,
  type MovedGroup,
  parseHandle,
  signingInput,
  VollyError,
} from "@volly/protocol";
import { deviceChannel } from "../bus/bus.js";
import { verifySignature } from "../services/signatures.js";
import type { FederationContext } from "./federation-context.js";
import type { FederationOutbox } from "./federation-outbox.js";
import type { LogMirror } from "./log-mirror.js";
import type { RemoteDirectory } from "./remote-directory.js";

/**
 * Moving an account from one server to another (issue 18). The account keeps its id and its devices'
 * ids and keys, so its MLS credentials (`accountId:deviceId`) and its group memberships stay valid;
 * what changes is its home server and its handle.
 *
 * 1. A device of the account signs an `AccountMove` (from `user@old`, to `user@new`) and posts it to
 *    the new server ({@link AccountMoves.moveIn}, `POST /v1/accounts/import`).
 * 2. The new server asks the old one for the account (it must be the same account, with that device
 *    and key) and posts the move to it: the old server hands the account over — it becomes an
 *    account of the new server there, its sessions end, its old handle answers with the new one
 *    (`movedTo`) — and answers the account's groups with their hubs.
 * 3. The new server makes the account local, follows each group it does not host (a mirror from the
 *    hub, the device's cursors as it says) and tells each other hub, which checks the move with the
 *    old server and re-homes the account's devices, so their sends and the hub's log go through the
 *    new server from then on.
 */
export interface AccountMoves {
  /**
   * Moves an account here (`POST /v1/accounts/import`). Idempotent: a move already done (a retry,
   * or another device of the account) answers the same.
   *
   * @throws VOLLY_E_BAD_REQUEST (the move is not to this server, or from it), VOLLY_E_HANDLE_INVALID,
   *   VOLLY_E_HANDLE_TAKEN, VOLLY_E_FEDERATION_STALE (signed too long ago), VOLLY_E_UNKNOWN_DEVICE,
   *   VOLLY_E_BAD_SIGNATURE, VOLLY_E_FORBIDDEN (the account is another one, or moved elsewhere), and
   *   the old server's errors (VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_FEDERATION_UNREACHABLE, …)
   */
  moveIn(body: ImportAccountBody): Promise<ImportAccountResponse>;
  /**
   * A move another server (`origin`, the one the account moves to) announces
   * (`POST /federation/v1/moves`): when the account is this server's, it is handed over and its
   * groups answered; when it is an account of another server this server knows, that server is
   * asked to confirm and the account's devices are re-homed; otherwise nothing changes.
   *
   * @throws VOLLY_E_FORBIDDEN (`origin` is not the server the move is to, or the account moved
   *   elsewhere), VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_BAD_SIGNATURE,
   *   VOLLY_E_FEDERATION_STALE
   */
  receive(origin: string, move: AccountMove): Promise<FederatedMoveResponse>;
  /** How this server describes a handle that moved away (`movedTo`), or undefined when none did. */
  describeMoved(user: string): Promise<FederatedAccount | undefined>;
}

/** A qualified handle's parts; VOLLY_E_BAD_REQUEST for a bare or invalid one. */
function qualified(handle: string): { user: string; server: string } {
  const parts = parseHandle(handle);
  if (!parts?.server) throw new VollyError("VOLLY_E_BAD_REQUEST", "A move names handles as user@server.");
  return { user: parts.user, server: parts.server };
}

/** Builds the {@link AccountMoves}; move notes to other servers go through `outbox`. */
export function createAccountMoves(
  ctx: FederationContext,
  directory: RemoteDirectory,
  mirror: LogMirror,
  outbox: FederationOutbox,
): AccountMoves {
  const { store, bus, now } = ctx.service;

  // Once a server took a move, the mirrors of the groups it hosts catch up: it reads this server's
  // devices anew.
  outbox.onDelivered((server, path) => {
    if (path !== "/moves") return;
    store.federation.listMirrors().then(
      (mirrors) => {
        for (const mirrored of mirrors) {
          if (mirrored.hub === server) mirror.sync(mirrored.groupId).catch(() => undefined); // the poll retries
        }
      },
      () => undefined,
    );
  });
  /** Tells `servers` (but `except`) of the move: queued until each answers. */
  const tell = async (move: AccountMove, servers: Iterable<string>, except: readonly string[]) => {
    await outbox.queue(
      [...servers].filter((s) => !except.includes(s)),
      "/moves",
      { move },
    );
    outbox.flush();
  };

  const checkSignature = (move: AccountMove, signaturePublicKey: string) => {
    if (!verifySignature(signaturePublicKey, signingInput.accountMove(move), move.signature)) {
      throw new VollyError("VOLLY_E_BAD_SIGNATURE");
    }
  };
  const checkAge = (move: AccountMove) => {
    if (Math.abs(now() - move.at) > ACCOUNT_MOVE_MAX_AGE_MS) {
      throw new VollyError("VOLLY_E_FEDERATION_STALE", "The move was signed too long ago.");
    }
  };

  /** The groups the account's devices are current members of, with the server hosting each. */
  const groupsOf = async (accountId: string): Promise<MovedGroup[]> => {
    const groups = new Map<string, string>();
    for (const device of await store.devices.listByAccount(accountId)) {
      for (const membership of await store.groups.listMemberships(device.id)) {
        if (membership.leftSeq !== null || groups.has(membership.groupId)) continue;
        const mirrored = await store.federation.findMirror(membership.groupId);
        groups.set(membership.groupId, mirrored?.hub ?? ctx.serverName);
      }
    }
    return [...groups].map(([groupId, hub]) => ({ groupId, hub }));
  };

  const describe = (server: string, user: string) =>
    ctx.caller.request<FederatedAccount>(
      server,
      "GET",
      `${FEDERATION_PREFIX}/accounts/${encodeURIComponent(user)}`,
      { response: FederatedAccount },
    );

  /** This server is the old one: hands the account over to `to.server`. */
  const handOver = async (
    move: AccountMove,
    from: { user: string },
    to: { user: string; server: string },
  ) => {
    const done = await store.federation.findMove(from.user);
    if (done) {
      if (done.accountId !== move.accountId || done.server !== to.server || done.user !== to.user) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "That account moved elsewhere.");
      }
      return { groups: await groupsOf(move.accountId) };
    }
    const account = await store.accounts.findByHandle(from.user);
    if (!account || account.id !== move.accountId) {
      throw new VollyError("VOLLY_E_UNKNOWN_HANDLE", undefined, { handle: from.user });
    }
    const device = await store.devices.findById(move.deviceId);
    if (!device || device.accountId !== account.id || device.revokedAt !== undefined) {
      throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId: move.deviceId });
    }
    checkSignature(move, device.signaturePublicKey);
    checkAge(move);
    const devices = await store.devices.listByAccount(account.id);
    await store.transaction(async (tx) => {
      await tx.federation.moveOut({
        accountId: account.id,
        handle: from.user,
        server: to.server,
        user: to.user,
        movedAt: now(),
        record: JSON.stringify(move),
      });
      for (const d of devices) {
        await tx.auth.deleteForDevice(d.id);
        await tx.keyPackages.deleteUnclaimed(d.id);
      }
    });
    // Its devices' connections here end: they connect to the new server from now on.
    for (const d of devices) bus.publish(deviceChannel(d.id), { type: "device-revoked", deviceId: d.id });
    ctx.log.warn({ accountId: account.id, server: to.server }, "federation: an account moved away");
    // The other servers in its conversations learn it from here too (each checks with this server).
    await tell(move, await store.federation.serversSharingGroups(account.id), [to.server]);
    return { groups: await groupsOf(account.id) };
  };

  return {
    async moveIn({ move, cursors }) {
      const from = qualified(move.from);
      const to = qualified(move.to);
      if (to.server !== ctx.serverName || from.server === ctx.serverName) {
        throw new VollyError("VOLLY_E_BAD_REQUEST", "The move must be from another server to this one.");
      }
      if (!isValidHandle(to.user))
        throw new VollyError("VOLLY_E_HANDLE_INVALID", undefined, { handle: to.user });
      const holder = await store.accounts.findByHandle(to.user);
      if (holder && holder.id !== move.accountId) {
        throw new VollyError("VOLLY_E_HANDLE_TAKEN", undefined, { handle: to.user });
      }
      const described = await describe(from.server, from.user);
      if (described.accountId !== move.accountId) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "That handle is another account's.");
      }
      if (described.movedTo !== undefined && described.movedTo !== `${to.user}@${to.server}`) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "That account moved elsewhere.");
      }
      const device = described.devices.find((d) => d.deviceId === move.deviceId);
      if (!device) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId: move.deviceId });
      checkSignature(move, device.signaturePublicKey);
      if (described.movedTo === undefined) checkAge(move);
      const { groups } = await ctx.caller.request<FederatedMoveResponse>(
        from.server,
        "POST",
        `${FEDERATION_PREFIX}/moves`,
        { body: { move }, response: FederatedMoveResponse },
      );
      /** The groups with a log here: hosted here, or followed below. */
      const followed = new Set(groups.filter((g) => g.hub === ctx.serverName).map((g) => g.groupId));
      await store.transaction(async (tx) => {
        await tx.federation.moveIn({
          accountId: move.accountId,
          handle: to.user,
          entityType: described.entityType,
          ...(described.displayName !== undefined ? { displayName: described.displayName } : {}),
          devices: described.devices,
          createdAt: now(),
        });
      });
      // Each group another server hosts is followed from its hub; the other hubs are told of the
      // move (queued until each answers), so they let this server read their logs, and tell their
      // followers in turn.
      await tell(
        move,
        groups.map((g) => g.hub),
        [from.server],
      );
      for (const { groupId, hub } of groups) {
        if (hub === ctx.serverName) continue;
        await mirror.follow(groupId, hub).then(
          () => followed.add(groupId),
          (error: unknown) =>
            ctx.log.warn(
              { groupId, server: hub, code: (error as VollyError).code },
              "federation: not followed",
            ),
        );
      }
      const positions = cursors
        .filter((c) => followed.has(c.groupId) && c.seq > 0)
        .map((c) => ({ deviceId: move.deviceId, groupId: c.groupId, seq: c.seq }));
      if (positions.length > 0) await store.cursors.advanceMany(positions);
      for (const { groupId, hub } of groups) {
        if (hub === ctx.serverName) continue;
        mirror
          .sync(groupId)
          .catch((error: unknown) =>
            ctx.log.warn(
              { groupId, server: hub, code: (error as VollyError).code },
              "federation: a moved account's group is not caught up yet",
            ),
          );
      }
      return { accountId: move.accountId, deviceId: move.deviceId, handle: to.user, groups };
    },

    async receive(origin, move) {
      const from = qualified(move.from);
      const to = qualified(move.to);
      if (from.server === ctx.serverName) {
        if (to.server !== origin) {
          throw new VollyError("VOLLY_E_FORBIDDEN", "Only the server an account moves to asks for it.");
        }
        return handOver(move, from, to);
      }
      // Anyone may pass a move on: it is checked with the old and the new server themselves.
      if (await directory.moved(move.accountId, from, to)) {
        await tell(move, await store.federation.serversSharingGroups(move.accountId), [
          origin,
          from.server,
          to.server,
        ]);
      }
      return { groups: [] };
    },

    async describeMoved(user) {
      const moved = await store.federation.findMove(user);
      if (!moved) return undefined;
      const account = await store.accounts.findById(moved.accountId);
      if (!account) return undefined;
      const devices = await store.devices.listByAccount(moved.accountId);
      return {
        accountId: moved.accountId,
        handle: user,
        entityType: account.entityType as FederatedAccount["entityType"],
        ...(account.displayName !== undefined ? { displayName: account.displayName } : {}),
        devices: devices
          .filter((d) => d.revokedAt === undefined)
          .map((d) => ({ deviceId: d.id, signaturePublicKey: d.signaturePublicKey })),
        movedTo: `${moved.user}@${moved.server}`,
      };
    },
  };
}

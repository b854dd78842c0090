import {
  FEDERATION_PREFIX,
  FederatedAccount,
  type FederatedDeviceRef,
  parseHandle,
  VollyError,
} from "@volly/protocol";
import type { FederationContext } from "./federation-context.js";

/** How long a remote account's description is used before its home server is asked again (ms). */
export const REMOTE_ACCOUNT_TTL_MS = 60_000;

/**
 * The accounts of other servers as this server knows them: fetched from their home servers
 * (`GET /federation/v1/accounts/:handle`) and stored as accounts with a qualified handle
 * (`user@server`) and their devices' keys, so the directory, key package claims, commits and
 * delivery treat them as they treat local ones.
 */
export interface RemoteDirectory {
  /**
   * The account `user` of `server` (another server), fetched from it unless its stored description is
   * younger than {@link REMOTE_ACCOUNT_TTL_MS} (or `maxAgeMs`); stored before it is returned.
   *
   * @returns the account's id
   * @throws VOLLY_E_UNKNOWN_HANDLE (the home server does not know it), VOLLY_E_FEDERATION_UNREACHABLE,
   *   VOLLY_E_FEDERATION_BLOCKED
   */
  lookup(user: string, server: string, maxAgeMs?: number): Promise<string>;
  /**
   * Makes every device a hub's log page names known here: devices of this server must exist
   * already (others are ignored), accounts homed at the hub are stored as the hub describes them,
   * and accounts of a third server are looked up at their home server — or, when it cannot be
   * reached, stored as the hub describes them until it can.
   *
   * @returns the ids of the named devices stored here afterwards (one read when all are known)
   */
  ensureDevices(refs: readonly FederatedDeviceRef[], hub: string): Promise<Set<string>>;
  /**
   * Resolves a handle as a user of this server types it ("alice", "@alice@b.example"): the local
   * account's handle, or the stored qualified handle of a remote one after {@link lookup}.
   *
   * @throws VOLLY_E_UNKNOWN_HANDLE, and what {@link lookup} throws
   */
  resolveHandle(handle: string): Promise<string>;
  /**
   * Re-homes a remote account that moved from `from` to `to` (handles on those servers): when this
   * server knows it as `from.server`'s, that server must say it moved to `to`, and `to.server` must
   * describe the same account; then its devices are `to.server`'s. An account this server does not
   * know, or knows there already, is left as it is.
   *
   * @returns whether the account was re-homed now
   * @throws VOLLY_E_FORBIDDEN (the old server does not confirm, or the new one names another
   *   account), VOLLY_E_FEDERATION_UNREACHABLE
   */
  moved(
    accountId: string,
    from: { user: string; server: string },
    to: { user: string; server: string },
  ): Promise<boolean>;
}

/** Builds the {@link RemoteDirectory}. */
export function createRemoteDirectory(ctx: FederationContext): RemoteDirectory {
  const { store, now } = ctx.service;
  const inFlight = new Map<string, Promise<string>>();

  const describe = async (user: string, server: string) => {
    const account = await ctx.caller.request<FederatedAccount>(
      server,
      "GET",
      `${FEDERATION_PREFIX}/accounts/${encodeURIComponent(user)}`,
      { response: FederatedAccount },
    );
    if (account.handle !== user) {
      throw new VollyError("VOLLY_E_FEDERATION_UNREACHABLE", "The server answered for another handle.", {
        server,
      });
    }
    return account;
  };

  /**
   * Fetches and stores `user@server`. An account that moved is followed to its new server once
   * (`movedFrom`: the server it moved from, whose record of it may be replaced).
   */
  const fetchAccount = async (user: string, server: string, movedFrom?: string): Promise<string> => {
    const account = await describe(user, server);
    if (account.movedTo !== undefined) {
      const next = parseHandle(account.movedTo);
      if (next?.server === ctx.serverName && movedFrom === undefined) {
        // It moved here: it is a local account now.
        const here = await store.accounts.findByHandle(next.user);
        if (here?.id === account.accountId) return here.id;
      }
      if (movedFrom !== undefined || !next?.server || next.server === ctx.serverName) {
        throw new VollyError("VOLLY_E_UNKNOWN_HANDLE", "That account moved.", {
          handle: `${user}@${server}`,
          movedTo: account.movedTo,
        });
      }
      const id = await fetchAccount(next.user, next.server, server);
      if (id !== account.accountId) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "The server the account moved to names another account.");
      }
      return id;
    }
    const known = await store.federation.findRemoteAccount(account.accountId);
    const local = !known && (await store.accounts.findById(account.accountId));
    if (local || (known && known.server !== server && known.server !== movedFrom)) {
      // An id this server already gives to another account: never let a server take it over.
      throw new VollyError("VOLLY_E_FEDERATION_UNREACHABLE", "The account id is another account's.", {
        server,
      });
    }
    await store.transaction((tx) =>
      tx.federation.putRemoteAccount({
        accountId: account.accountId,
        server,
        user,
        entityType: account.entityType,
        ...(account.displayName !== undefined ? { displayName: account.displayName } : {}),
        devices: account.devices,
        fetchedAt: now(),
      }),
    );
    return account.accountId;
  };

  const lookup = async (user: string, server: string, maxAgeMs = REMOTE_ACCOUNT_TTL_MS) => {
    const stored = await store.accounts.findByHandle(`${user}@${server}`);
    if (stored) {
      const remote = await store.federation.findRemoteAccount(stored.id);
      if (remote && now() - remote.fetchedAt < maxAgeMs) return stored.id;
    }
    const key = `${user}@${server}`;
    let pending = inFlight.get(key);
    if (!pending) {
      pending = fetchAccount(user, server).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };

  return {
    lookup,

    async moved(accountId, from, to) {
      const known = await store.federation.findRemoteAccount(accountId);
      if (!known || (known.server === to.server && known.user === to.user)) return false;
      if (known.server !== from.server) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "This server knows that account at another server.");
      }
      const old = await describe(from.user, from.server);
      if (old.accountId !== accountId || old.movedTo !== `${to.user}@${to.server}`) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "The old server does not confirm the move.");
      }
      if ((await fetchAccount(to.user, to.server, from.server)) !== accountId) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "The new server names another account.");
      }
      return true;
    },

    async ensureDevices(refs, hub) {
      const stored = async (ids: readonly string[]) =>
        new Set((await store.devices.findMany(ids)).map((d) => d.id));
      const present = await stored(refs.map((r) => r.deviceId));
      // This server's own devices exist already or not at all; only other servers' are added.
      const unknown = refs.filter((ref) => ref.server !== ctx.serverName && !present.has(ref.deviceId));
      if (unknown.length === 0) return present;
      const byAccount = new Map<string, FederatedDeviceRef[]>();
      for (const ref of unknown) byAccount.set(ref.accountId, [...(byAccount.get(ref.accountId) ?? []), ref]);
      for (const [accountId, devices] of byAccount) {
        const first = devices[0]!;
        if (first.server !== hub) {
          try {
            await lookup(first.user, first.server, 0);
            continue;
          } catch (error) {
            ctx.log.warn(
              { server: first.server, accountId, code: (error as VollyError).code },
              "federation: a member's home server could not be asked; using the hub's description",
            );
          }
        }
        const known = await store.federation.findRemoteAccount(accountId);
        if (!known && (await store.accounts.findById(accountId))) continue; // a local account's id
        await store.transaction(async (tx) => {
          const current = await tx.devices.listByAccount(accountId);
          await tx.federation.putRemoteAccount({
            accountId,
            server: first.server,
            user: first.user,
            entityType: first.entityType,
            devices: [
              ...current
                .filter((d) => d.revokedAt === undefined)
                .map((d) => ({ deviceId: d.id, signaturePublicKey: d.signaturePublicKey })),
              ...devices.map((d) => ({ deviceId: d.deviceId, signaturePublicKey: d.signaturePublicKey })),
            ],
            fetchedAt: known?.fetchedAt ?? 0,
          });
        });
      }
      for (const id of await stored(unknown.map((r) => r.deviceId))) present.add(id);
      return present;
    },

    async resolveHandle(handle) {
      const parts = parseHandle(handle);
      if (!parts) throw new VollyError("VOLLY_E_UNKNOWN_HANDLE", undefined, { handle });
      if (parts.server === undefined || parts.server === ctx.serverName) return parts.user;
      const id = await lookup(parts.user, parts.server);
      // An account that moved is named as it is now.
      const account = await store.accounts.findById(id);
      return account?.handle ?? `${parts.user}@${parts.server}`;
    },
  };
}

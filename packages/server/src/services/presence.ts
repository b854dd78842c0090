import type { PeerAccount } from "../store/types.js";
import type { ServiceContext } from "./context.js";

/**
 * Who sees whose presence. Presence itself is ephemeral and lives in the gateway (see
 * `gateway/presence-tracker.ts`); this service only answers the audience question from the store.
 */
export interface PresenceService {
  /**
   * The accounts whose presence `accountId` sees — and that see its presence: every other account
   * with a device that is a current member of a group in which a device of `accountId` is a current
   * member (group_members → devices → accounts). Ordered by account id.
   */
  peers(accountId: string): Promise<PeerAccount[]>;
}

/** Builds the {@link PresenceService}. */
export function createPresenceService({ store }: ServiceContext): PresenceService {
  return {
    peers(accountId) {
      return store.groups.listPeerAccounts(accountId);
    },
  };
}

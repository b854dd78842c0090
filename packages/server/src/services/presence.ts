import {
  currentStatusText,
  type PresenceStatusResponse,
  type SetPresenceStatusBody,
  VollyError,
} from "@volly/protocol";
import { PRESENCE_CHANNEL } from "../bus/bus.js";
import type { AccountStatusRecord, PeerAccount } from "../store/types.js";
import type { AuthContext, ServiceContext } from "./context.js";

/**
 * Who sees whose presence, and the status each account chose. Presence itself is ephemeral and
 * lives in the gateway (see `gateway/presence-tracker.ts`); the chosen status (online, idle, dnd,
 * invisible, custom text with expiry) is stored here, per account, last writer wins.
 */
export interface PresenceService {
  /**
   * The accounts whose presence `accountId` sees — and that see its presence: every other account
   * with a device that is a current member of a group in which a device of `accountId` is a current
   * member (group_members → devices → accounts). Ordered by account id.
   */
  peers(accountId: string): Promise<PeerAccount[]>;
  /** The account's stored status record (with a possibly expired text), or undefined when never set. */
  storedStatus(accountId: string): Promise<AccountStatusRecord | undefined>;
  /** The account's status as served: "online" when never set; an expired custom text is left out. */
  getStatus(accountId: string): Promise<PresenceStatusResponse>;
  /**
   * Stores the status the account chose (for all its devices) and announces it on the bus's
   * presence channel ("presence-status"), from which every node's presence tracker updates the
   * account's watchers.
   *
   * @throws VollyError VOLLY_E_BAD_REQUEST when `until` is given without `text` or is not in the future
   */
  setStatus(device: AuthContext, body: SetPresenceStatusBody): Promise<PresenceStatusResponse>;
}

/** A stored record as served at `now`. */
function served(record: AccountStatusRecord | undefined, now: number): PresenceStatusResponse {
  if (!record) return { status: "online", setAt: 0 };
  const text = currentStatusText(record, now);
  return {
    status: record.status,
    ...(text !== undefined ? { text } : {}),
    ...(text !== undefined && record.until !== undefined ? { until: record.until } : {}),
    setAt: record.setAt,
  };
}

/** Builds the {@link PresenceService}. */
export function createPresenceService({ store, bus, now }: ServiceContext): PresenceService {
  return {
    peers(accountId) {
      return store.groups.listPeerAccounts(accountId);
    },
    storedStatus(accountId) {
      return store.accountStatuses.get(accountId);
    },
    async getStatus(accountId) {
      return served(await store.accountStatuses.get(accountId), now());
    },
    async setStatus(device, body) {
      const at = now();
      if (body.until !== undefined && body.text === undefined) {
        throw new VollyError("VOLLY_E_BAD_REQUEST", "until needs a custom text to expire.");
      }
      if (body.until !== undefined && body.until <= at) {
        throw new VollyError("VOLLY_E_BAD_REQUEST", "until must be in the future.", { until: body.until });
      }
      const previous = await store.accountStatuses.get(device.accountId);
      // Strictly later than what is stored, so two writes in the same millisecond still order.
      const setAt = Math.max(at, (previous?.setAt ?? 0) + 1);
      const record: AccountStatusRecord = {
        accountId: device.accountId,
        status: body.status,
        ...(body.text !== undefined ? { text: body.text } : {}),
        ...(body.until !== undefined ? { until: body.until } : {}),
        setAt,
      };
      const kept = await store.accountStatuses.put(record);
      const { accountId: _, ...chosen } = kept;
      bus.publish(PRESENCE_CHANNEL, {
        type: "presence-status",
        accountId: device.accountId,
        handle: device.handle,
        chosen,
      });
      return served(kept, at);
    },
  };
}

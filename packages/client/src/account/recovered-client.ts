import type { ClientStore } from "../storage/client-store.js";
import { VollyClient, type VollyClientOptions } from "../volly-client.js";
import type { RejoinReport } from "./recovery-api.js";
import { type RecoverProfileOptions, recoverProfile } from "./recovery-profile.js";

/** An account restored with its recovery key (`recoverNodeProfile`, `recoverBrowserProfile`). */
export interface RecoveredClient {
  /** The restored device's client (not connected yet). */
  client: VollyClient;
  /** The account's devices the server revoked. */
  revokedDeviceIds: string[];
  /** Whether the account backup was restored (contacts, conversation list, settings). */
  backupRestored: boolean;
  /** The conversations rejoined by external commit (and those that could not be). */
  rejoin: RejoinReport;
}

/**
 * Restores an account into `store` with its recovery key ({@link recoverProfile}: this device
 * registered, every other one revoked, the backup restored), opens its client, uploads the first
 * key packages and rejoins every conversation by external commit (`client.recovery.rejoin()`).
 * The one path behind the Node and browser entry points. Errors as {@link recoverProfile}.
 */
export async function openRecoveredClient(
  store: ClientStore,
  options: Omit<RecoverProfileOptions, "store">,
  clientOptions: VollyClientOptions,
): Promise<RecoveredClient> {
  let restored: { revokedDeviceIds: string[]; backupRestored: boolean } | undefined;
  const client = await VollyClient.fromStore(
    store,
    async (s) => {
      const result = await recoverProfile({ ...options, store: s });
      restored = result;
      return result.unlocked;
    },
    clientOptions,
    true,
  );
  const rejoin = await client.recovery.rejoin();
  return {
    client,
    revokedDeviceIds: restored?.revokedDeviceIds ?? [],
    backupRestored: restored?.backupRestored ?? false,
    rejoin,
  };
}

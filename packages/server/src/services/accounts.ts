import {
  type AccountEntry,
  type DeviceLookupResponse,
  type EntityType,
  type HandleAvailabilityResponse,
  isValidHandle,
  newId,
  type RegisterAccountBody,
  type RegisterAccountResponse,
  signingInput,
  type UpdateProfileResponse,
  VollyError,
} from "@volly/protocol";
import { StoreConflict } from "../store/store-conflict.js";
import type { Repositories } from "../store/types.js";
import type { ServiceContext } from "./context.js";
import { verifySignature } from "./signatures.js";

/** The authentication service (RFC 9420 §16.10 "Authentication Service"): accounts, devices, keys. */
export interface AccountService {
  /**
   * Registers an account and its first device. The body's signature must verify over
   * `signingInput.register(handle, signaturePublicKey)` with that key (proof of possession). The
   * optional display name is stored as given (it is directory data, not covered by the signature).
   *
   * @throws VOLLY_E_HANDLE_INVALID, VOLLY_E_BAD_SIGNATURE, VOLLY_E_HANDLE_TAKEN, VOLLY_E_KEY_TAKEN;
   *   on any error nothing is written
   */
  register(body: RegisterAccountBody): Promise<RegisterAccountResponse>;
  /**
   * Directory lookup of an account (with its display name when set) and its active (not revoked)
   * devices' keys.
   * @throws VOLLY_E_UNKNOWN_HANDLE
   */
  getAccount(handle: string): Promise<AccountEntry>;
  /**
   * Whether `handle` (already validated against the protocol's handle rules) is free to register:
   * no account has it. A free handle is an ordinary answer, not an error, so a client checking
   * availability (onboarding) does not log a failed request.
   */
  handleAvailability(handle: string): Promise<HandleAvailabilityResponse>;
  /** Directory lookup of one device (with its account's display name when set). @throws VOLLY_E_UNKNOWN_DEVICE */
  getDevice(deviceId: string): Promise<DeviceLookupResponse>;
  /**
   * Sets the display name of account `accountId` (directory data, the same for all its devices),
   * trimmed of surrounding white space.
   *
   * @throws VOLLY_E_BAD_REQUEST for a name that is blank or over 64 characters,
   *   VOLLY_E_UNKNOWN_HANDLE when the account does not exist
   */
  setDisplayName(accountId: string, displayName: string): Promise<UpdateProfileResponse>;
}

/** Builds the {@link AccountService}. */
export function createAccountService({ store, now }: ServiceContext): AccountService {
  async function conflict(tx: Repositories, handle: string, key: string): Promise<VollyError | undefined> {
    // A handle whose account moved away stays its: it answers with where the account went.
    if ((await tx.accounts.findByHandle(handle)) || (await tx.federation.findMove(handle)))
      return new VollyError("VOLLY_E_HANDLE_TAKEN", undefined, { handle });
    if (await tx.devices.findBySignatureKey(key)) return new VollyError("VOLLY_E_KEY_TAKEN");
    return undefined;
  }

  return {
    async register(body) {
      if (!isValidHandle(body.handle))
        throw new VollyError("VOLLY_E_HANDLE_INVALID", undefined, { handle: body.handle });
      const key = body.device.signaturePublicKey;
      if (!verifySignature(key, signingInput.register(body.handle, key), body.signature)) {
        throw new VollyError("VOLLY_E_BAD_SIGNATURE");
      }
      const accountId = newId();
      const deviceId = newId();
      const createdAt = now();
      try {
        await store.transaction(async (tx) => {
          const taken = await conflict(tx, body.handle, key);
          if (taken) throw taken;
          await tx.accounts.insert({
            id: accountId,
            handle: body.handle,
            entityType: body.entityType,
            createdAt,
            ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
          });
          await tx.devices.insert({
            id: deviceId,
            accountId,
            signaturePublicKey: key,
            name: body.device.name,
            createdAt,
          });
        });
      } catch (error) {
        // A concurrent registration won the race between our check and insert (PostgreSQL).
        if (error instanceof StoreConflict) throw (await conflict(store, body.handle, key)) ?? error;
        throw error;
      }
      return { accountId, deviceId, handle: body.handle };
    },

    async getAccount(handle) {
      const account = await store.accounts.findByHandle(handle);
      if (!account) throw new VollyError("VOLLY_E_UNKNOWN_HANDLE", undefined, { handle });
      const devices = await store.devices.listByAccount(account.id);
      return {
        accountId: account.id,
        handle: account.handle,
        entityType: account.entityType as EntityType,
        ...(account.displayName !== undefined ? { displayName: account.displayName } : {}),
        devices: devices
          .filter((d) => d.revokedAt === undefined)
          .map((d) => ({
            deviceId: d.id,
            signaturePublicKey: d.signaturePublicKey,
            name: d.name,
            createdAt: d.createdAt,
          })),
      };
    },

    async handleAvailability(handle) {
      const taken = (await store.accounts.findByHandle(handle)) || (await store.federation.findMove(handle));
      return { handle, available: !taken };
    },

    async getDevice(deviceId) {
      const device = await store.devices.findById(deviceId);
      if (!device) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId });
      // Clients cache this answer per device, so the account's entity type costs one read here.
      const account = await store.accounts.findById(device.accountId);
      return {
        deviceId: device.id,
        accountId: device.accountId,
        handle: device.handle,
        ...(device.displayName !== undefined ? { displayName: device.displayName } : {}),
        ...(account ? { entityType: account.entityType as EntityType } : {}),
        signaturePublicKey: device.signaturePublicKey,
      };
    },

    async setDisplayName(accountId, name) {
      const displayName = name.trim();
      if (displayName.length === 0 || displayName.length > 64) {
        throw new VollyError("VOLLY_E_BAD_REQUEST", "A display name is 1–64 characters.");
      }
      const account = await store.accounts.findById(accountId);
      if (!account) throw new VollyError("VOLLY_E_UNKNOWN_HANDLE");
      await store.accounts.setDisplayName(accountId, displayName);
      return { accountId, handle: account.handle, displayName };
    },
  };
}

import type { KeyPackageRecord } from "../account/account-records.js";
import type { DeviceInfo } from "../conversations/directory.js";
import { KeyedRecords } from "./keyed-records.js";
import { RECORD_PREFIXES } from "./store-keys.js";
import type { Vault } from "./vault.js";

/** Private halves of this device's key packages (RFC 9420 §10), by key package ref. */
export class KeyPackageStore extends KeyedRecords<KeyPackageRecord> {
  constructor(vault: Vault) {
    super(vault, RECORD_PREFIXES.keyPackage);
  }
}

/** What the directory said about other devices (a cache of GET /v1/devices/:id), by device id. */
export class DeviceCache extends KeyedRecords<DeviceInfo> {
  constructor(vault: Vault) {
    super(vault, RECORD_PREFIXES.device);
  }
}

import type { DeviceIdentity, MlsSuite } from "@volly/crypto";
import type { ProfileRecord } from "../account/account-records.js";
import type { Vault } from "../storage/vault.js";
import type { HttpApi } from "../transport/http-api.js";

/** What every SDK service of one open profile shares. Plain data; no behaviour. */
export interface ClientContext {
  profile: ProfileRecord;
  identity: DeviceIdentity;
  api: HttpApi;
  vault: Vault;
  suite: MlsSuite;
}

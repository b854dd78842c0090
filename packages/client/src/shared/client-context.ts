import type { DeviceIdentity, MlsSuite } from "@volly/crypto";
import type { ProfileRecord } from "../account/account-records.js";
import type { Vault } from "../storage/vault.js";
import type { AuthSession } from "../transport/auth-session.js";
import type { HttpApi } from "../transport/http-api.js";

/** What every SDK service of one open profile shares. Plain data; no behaviour. */
export interface ClientContext {
  profile: ProfileRecord;
  identity: DeviceIdentity;
  api: HttpApi;
  auth: AuthSession;
  vault: Vault;
  suite: MlsSuite;
}

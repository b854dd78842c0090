import type { DeviceIdentity, MlsSuite } from "@volly/crypto";
import type { AuthSession } from "./auth-session.js";
import type { HttpApi } from "./http-api.js";
import type { ProfileRecord } from "./records.js";
import type { Vault } from "./vault.js";

/** What every SDK service of one open profile shares. Plain data; no behaviour. */
export interface ClientContext {
  profile: ProfileRecord;
  identity: DeviceIdentity;
  api: HttpApi;
  auth: AuthSession;
  vault: Vault;
  suite: MlsSuite;
}

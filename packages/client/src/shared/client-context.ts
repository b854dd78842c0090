import type { DeviceIdentity, MlsSuite } from "@volly/crypto";
import type { ProfileRecord } from "../account/account-records.js";
import type { Stores } from "../storage/stores.js";
import type { HttpApi } from "../transport/http-api.js";
import type { DiagnosticsService } from "./diagnostics.js";

/** What every SDK service of one open profile shares. Plain data; no behaviour. */
export interface ClientContext {
  profile: ProfileRecord;
  identity: DeviceIdentity;
  api: HttpApi;
  /** The profile's sealed records, by kind. */
  stores: Stores;
  /** Where background failures are reported (see `Diagnostics`). */
  diagnostics: DiagnosticsService;
  suite: MlsSuite;
}

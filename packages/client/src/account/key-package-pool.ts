import type { DeviceIdentity } from "@volly/crypto";
import { generateKeyPackage, type MlsSuite } from "@volly/crypto";
import { toBase64Url } from "@volly/protocol";
import type { Stores } from "../storage/stores.js";
import type { VaultBatch } from "../storage/vault.js";
import type { HttpApi } from "../transport/http-api.js";
import type { KeyPackageRecord } from "./account-records.js";
import type { KeyPackagePool } from "./key-package-pool-api.js";

/** Pool sizes: top up to `target` one-time packages when fewer than `low` remain. */
export const KEY_PACKAGE_POOL = { target: 20, low: 5 } as const;

/**
 * The SDK's {@link KeyPackagePool} (see there): generates packages for this device's identity and
 * keeps their private halves sealed in the local store until a Welcome uses one.
 */
export class KeyPackagePoolService implements KeyPackagePool {
  private running: Promise<number> | undefined;

  constructor(
    private readonly api: HttpApi,
    private readonly stores: Stores,
    private readonly suite: MlsSuite,
    private readonly identity: DeviceIdentity,
    private readonly credential: { accountId: string; deviceId: string },
  ) {}

  topUp(): Promise<number> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<number> {
    const count = await this.api.call("countKeyPackages");
    const needed = count.available < KEY_PACKAGE_POOL.low ? KEY_PACKAGE_POOL.target - count.available : 0;
    if (needed === 0 && count.hasLastResort) return 0;
    const batch = this.stores.batch();
    const oneTime: string[] = [];
    for (let i = 0; i < needed; i++) oneTime.push(await this.generate(batch, false));
    const lastResort = count.hasLastResort ? undefined : await this.generate(batch, true);
    await batch.commit();
    await this.api.call("uploadKeyPackages", {
      body: lastResort ? { keyPackages: oneTime, lastResort } : { keyPackages: oneTime },
    });
    return oneTime.length + (lastResort ? 1 : 0);
  }

  private async generate(batch: VaultBatch, lastResort: boolean): Promise<string> {
    const kp = await generateKeyPackage(this.suite, this.identity, this.credential);
    const record: KeyPackageRecord = {
      ref: kp.ref,
      keyPackage: toBase64Url(kp.keyPackage),
      privateKeyPackage: toBase64Url(kp.privateKeyPackage),
      lastResort,
    };
    this.stores.keyPackages.put(batch, record.ref, record);
    return record.keyPackage;
  }
}

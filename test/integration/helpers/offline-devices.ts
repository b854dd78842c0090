import { HttpApi } from "@volly/client/testing";
import { DEFAULT_CIPHERSUITE, generateIdentity, generateKeyPackage, loadSuite, sign } from "@volly/crypto";
import { signingInput, toBase64Url } from "@volly/protocol";

/** An account with one device that has a key package on the server but never connects. */
export interface OfflineDevice {
  handle: string;
  accountId: string;
  deviceId: string;
  /** REST calls signed in as the device (e.g. to count its key packages). */
  api: HttpApi;
}

/**
 * Registers `count` accounts (`<prefix>0001`, …) with one device each over REST and uploads one
 * real key package per device (Volly's default X-Wing suite, generated with @volly/crypto), so the
 * server and the SDK claiming them see exactly what a real device would have uploaded. The devices
 * never connect: they stand for members who are offline. `concurrency` registrations run at once.
 */
export async function registerOfflineDevices(
  serverUrl: string,
  prefix: string,
  count: number,
  concurrency = 8,
): Promise<OfflineDevice[]> {
  const api = new HttpApi(serverUrl);
  const suite = await loadSuite(DEFAULT_CIPHERSUITE);
  const out = new Array<OfflineDevice>(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const handle = `${prefix}${String(i + 1).padStart(4, "0")}`;
      const identity = generateIdentity();
      const publicKey = toBase64Url(identity.signaturePublicKey);
      const registered = await api.call("registerAccount", {
        body: {
          handle,
          entityType: "human",
          device: { signaturePublicKey: publicKey, name: "offline" },
          signature: toBase64Url(
            sign(identity.signaturePrivateKey, signingInput.register(handle, publicKey)),
          ),
        },
      });
      const device = new HttpApi(serverUrl, {
        deviceId: registered.deviceId,
        sign: (message) => sign(identity.signaturePrivateKey, message),
      });
      const kp = await generateKeyPackage(suite, identity, {
        accountId: registered.accountId,
        deviceId: registered.deviceId,
      });
      await device.call("uploadKeyPackages", {
        body: { keyPackages: [toBase64Url(kp.keyPackage)] },
      });
      out[i] = { handle, accountId: registered.accountId, deviceId: registered.deviceId, api: device };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

import { type DeviceIdentity, generateKeyPackage, loadSuite, type MlsSuite } from "@volly/crypto";
import { toBase64Url } from "@volly/protocol";
import type { TestKeys } from "./identity.js";

let suite: Promise<MlsSuite> | undefined;
/** The default MLS suite, loaded once per test file. */
export function testSuite(): Promise<MlsSuite> {
  suite ??= loadSuite();
  return suite;
}

/** The @volly/crypto identity of a test key pair (the seed is the private key). */
export function toIdentity(keys: TestKeys): DeviceIdentity {
  return { signaturePublicKey: keys.publicKey, signaturePrivateKey: keys.secretKey };
}

/** A real key package (base64url) whose leaf signs with `keys` and names this account/device. */
export async function keyPackageFor(keys: TestKeys, accountId: string, deviceId: string): Promise<string> {
  const generated = await generateKeyPackage(await testSuite(), toIdentity(keys), { accountId, deviceId });
  return toBase64Url(generated.keyPackage);
}

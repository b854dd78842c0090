import { generateIdentity, sign } from "@volly/crypto";
import { signingInput, toBase64Url } from "@volly/protocol";

/** An Ed25519 key pair for a test device (the 32-byte seed is what @volly/crypto calls the private key). */
export interface TestKeys {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
  /** base64url public key. */
  publicKeyB64: string;
}

/** Generates a fresh Ed25519 key pair (@volly/crypto's device identity). */
export function newKeys(): TestKeys {
  const { signaturePublicKey: publicKey, signaturePrivateKey: secretKey } = generateIdentity();
  return { publicKey, secretKey, publicKeyB64: toBase64Url(publicKey) };
}

/** Signs `message` and returns the base64url signature. */
export function signB64(keys: TestKeys, message: Uint8Array): string {
  return toBase64Url(sign(keys.secretKey, message));
}

/** The body of `POST /v1/accounts` for `handle`, signed with `keys`. */
export function registrationBody(handle: string, keys: TestKeys, name = "test device") {
  return {
    handle,
    entityType: "human" as const,
    device: { signaturePublicKey: keys.publicKeyB64, name },
    signature: signB64(keys, signingInput.register(handle, keys.publicKeyB64)),
  };
}

let counter = 0;
/** A unique valid handle for one test run. */
export function uniqueHandle(prefix = "user"): string {
  counter += 1;
  return `${prefix}${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

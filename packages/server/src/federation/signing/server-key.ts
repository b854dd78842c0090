import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { Type } from "@sinclair/typebox";
import { fingerprint, generateIdentity, sign, verify } from "@volly/crypto";
import {
  FederationKeyId,
  fromBase64Url,
  PublicKey,
  parse,
  parseBoundedJson,
  toBase64Url,
  VollyError,
} from "@volly/protocol";

/**
 * The Ed25519 key a server signs its federation requests with (RFC 9421 §3.3.6, `alg="ed25519"`).
 * Its public half is published in the server's `ServerDocument` under {@link ServerSigningKey.keyId}.
 */
export interface ServerSigningKey {
  /** The first 16 base64url characters of SHA-256(publicKey) (see {@link serverKeyId}). */
  keyId: string;
  /** The 32-byte Ed25519 public key (RFC 8032 §5.1.5). */
  publicKey: Uint8Array;
  /** The 32-byte Ed25519 private key seed (RFC 8032 §5.1.5). Secret. */
  privateKey: Uint8Array;
}

/** The stored form of a {@link ServerSigningKey}: version 1, every key base64url (RFC 4648 §5). */
const ServerKeyFile = Type.Object(
  {
    v: Type.Literal(1),
    keyId: FederationKeyId,
    publicKey: PublicKey,
    /** The 32-byte seed, base64url (43 characters). */
    privateKey: Type.String({ pattern: "^[A-Za-z0-9_-]{43}$" }),
  },
  { additionalProperties: false },
);

/** Largest key file {@link serverKeyFromJson} reads (characters); a real one is about 150. */
const MAX_KEY_FILE_CHARS = 4096;

/**
 * The key id of an Ed25519 public key: the first 16 characters of the unpadded base64url SHA-256
 * (FIPS 180-4) of its 32 bytes, i.e. 96 bits of the fingerprint.
 *
 * @throws Error when `publicKey` is not 32 bytes (a programming error)
 */
export function serverKeyId(publicKey: Uint8Array): string {
  return fingerprint(publicKey).slice(0, 16);
}

/**
 * Generates a fresh server signing key (Ed25519, RFC 8032 §5.1.5, from the platform CSPRNG through
 * `@volly/crypto`) with its {@link serverKeyId}.
 */
export function generateServerSigningKey(): ServerSigningKey {
  const identity = generateIdentity();
  return {
    keyId: serverKeyId(identity.signaturePublicKey),
    publicKey: identity.signaturePublicKey,
    privateKey: identity.signaturePrivateKey,
  };
}

/**
 * Serializes a key for its key file: `{"v":1,"keyId","publicKey","privateKey"}`, keys base64url.
 * The text holds the private key: store it readable by the server only.
 */
export function serverKeyToJson(key: ServerSigningKey): string {
  return `${JSON.stringify({
    v: 1,
    keyId: key.keyId,
    publicKey: toBase64Url(key.publicKey),
    privateKey: toBase64Url(key.privateKey),
  })}\n`;
}

/**
 * Parses a key written by {@link serverKeyToJson}: checks the schema, that the private key signs
 * for the public key, and that `keyId` is the public key's {@link serverKeyId}.
 *
 * @throws VollyError VOLLY_E_BAD_REQUEST when the text is not JSON, does not match the schema, or its
 *   fields do not belong together (the message never echoes the private key)
 */
export function serverKeyFromJson(text: string): ServerSigningKey {
  if (text.length > MAX_KEY_FILE_CHARS) {
    throw new VollyError("VOLLY_E_BAD_REQUEST", "The server key file is too large.");
  }
  let value: unknown;
  try {
    value = parseBoundedJson(text, 4);
  } catch {
    throw new VollyError("VOLLY_E_BAD_REQUEST", "The server key file is not valid JSON.");
  }
  const file = parse(ServerKeyFile, value);
  const publicKey = fromBase64Url(file.publicKey);
  const privateKey = fromBase64Url(file.privateKey);
  const probe = randomBytes(32);
  if (!verify(publicKey, probe, sign(privateKey, probe))) {
    throw new VollyError(
      "VOLLY_E_BAD_REQUEST",
      "The server key file's private key does not match its public key.",
    );
  }
  if (serverKeyId(publicKey) !== file.keyId) {
    throw new VollyError("VOLLY_E_BAD_REQUEST", "The server key file's keyId is not its public key's.", {
      keyId: file.keyId,
    });
  }
  return { keyId: file.keyId, publicKey, privateKey };
}

/**
 * Reads the server's signing key from `path`, or creates one there when the file does not exist:
 * the directory is created (mode 0700) if missing, the key written to a temporary file of mode 0600
 * and fsynced, then linked into place. The link fails when another process created the file in
 * between, and then that process's key is read: two servers starting at once never end up with
 * different keys, and the file never exists half-written. On a file system without hard links it
 * falls back to rename (atomic, but the last writer wins such a race).
 *
 * @param path the key file (VOLLY_FEDERATION_KEY_FILE)
 * @throws VollyError VOLLY_E_BAD_REQUEST when the existing file is not a valid key
 *   ({@link serverKeyFromJson}); the file system's error when it cannot be read or written
 */
export async function loadOrCreateServerKey(path: string): Promise<ServerSigningKey> {
  const existing = await readKeyFile(path);
  if (existing !== undefined) return serverKeyFromJson(existing);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = generateServerSigningKey();
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(serverKeyToJson(key), "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      await unlink(temp).catch(() => undefined);
      return serverKeyFromJson((await readKeyFile(path)) ?? "");
    }
    if (code === "EPERM" || code === "ENOTSUP" || code === "EXDEV" || code === "ENOSYS") {
      await rename(temp, path);
      return key;
    }
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await unlink(temp).catch(() => undefined);
  return key;
}

async function readKeyFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

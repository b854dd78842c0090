import { join } from "node:path";
import { ATTACHMENT_LIMITS, VollyError } from "@volly/protocol";

/**
 * Encrypted files (README "Configuration", docs/operators.md "Files"): where the blobs live and
 * how much an account may store. Every node of a scaled deployment must see the same `blobDir`
 * (a shared volume): the tus upload state (file and its `.json` metadata) lives there too, so a node
 * can resume an upload another node started.
 */
export interface FilesConfig {
  /** Largest file a client may upload (plaintext bytes; the upload is `blobSize` of it). VOLLY_MAX_UPLOAD_BYTES. */
  maxUploadBytes: number;
  /**
   * Directory of the blobs (`<blobDir>/<blobId>`) and of uploads in progress (`<blobDir>/uploads/`).
   * VOLLY_BLOB_DIR. Default: `<dataDir>/blobs` (resolved by {@link blobDirOf} when unset).
   */
  blobDir?: string;
  /** Bytes of blobs and open uploads one account may hold (ciphertext). VOLLY_STORAGE_QUOTA_BYTES. */
  storageQuotaBytes: number;
  /**
   * How long an upload may stay incomplete, and a complete blob stay unsent, before it is removed
   * (ms). VOLLY_UPLOAD_EXPIRY_MS.
   */
  uploadExpiryMs: number;
}

/** Default {@link FilesConfig}: 100 MiB files, 10 GiB per account, a day to finish and send an upload. */
export const DEFAULT_FILES: FilesConfig = {
  maxUploadBytes: ATTACHMENT_LIMITS.defaultMaxUploadBytes,
  storageQuotaBytes: 10 * 1024 ** 3,
  uploadExpiryMs: 24 * 60 * 60 * 1000,
};

/** The most a byte limit may be: 2^50 (exact in a JS number). */
const MAX_BYTES = 2 ** 50;
/** Longest upload expiry: a year. */
const MAX_EXPIRY_MS = 366 * 24 * 60 * 60 * 1000;

/**
 * Reads VOLLY_MAX_UPLOAD_BYTES, VOLLY_BLOB_DIR, VOLLY_STORAGE_QUOTA_BYTES and VOLLY_UPLOAD_EXPIRY_MS
 * over {@link DEFAULT_FILES}; empty values are ignored. Values are validated by {@link checkFiles}.
 *
 * @returns the configuration, or undefined when none of the variables is set
 */
export function filesFromEnv(env: Record<string, string | undefined>): FilesConfig | undefined {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const integer = (name: string): unknown => {
    const value = read(name);
    return value === undefined ? undefined : /^\d{1,16}$/.test(value) ? Number(value) : value;
  };
  const out: Record<string, unknown> = { ...DEFAULT_FILES };
  let any = false;
  for (const [field, name] of [
    ["maxUploadBytes", "VOLLY_MAX_UPLOAD_BYTES"],
    ["storageQuotaBytes", "VOLLY_STORAGE_QUOTA_BYTES"],
    ["uploadExpiryMs", "VOLLY_UPLOAD_EXPIRY_MS"],
  ] as const) {
    const value = integer(name);
    if (value === undefined) continue;
    out[field] = value;
    any = true;
  }
  const dir = read("VOLLY_BLOB_DIR");
  if (dir !== undefined) {
    out.blobDir = dir;
    any = true;
  }
  return any ? (out as unknown as FilesConfig) : undefined;
}

/**
 * Validates a {@link FilesConfig}: the byte limits integers from 1 to 2^50, the expiry from 1 ms to
 * 366 days, the blob directory (when set) a non-empty string.
 *
 * @throws VollyError VOLLY_E_USAGE naming the variable
 */
export function checkFiles(value: unknown): FilesConfig {
  const config = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const within = (field: string, name: string, max: number): number => {
    const n = config[field];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > max) {
      throw new VollyError("VOLLY_E_USAGE", `${name} must be an integer from 1 to ${max}.`, {
        [name]: n === undefined ? null : n,
      });
    }
    return n;
  };
  const blobDir = config.blobDir;
  if (blobDir !== undefined && (typeof blobDir !== "string" || blobDir === "")) {
    throw new VollyError("VOLLY_E_USAGE", "VOLLY_BLOB_DIR must not be empty.", {});
  }
  return {
    maxUploadBytes: within("maxUploadBytes", "VOLLY_MAX_UPLOAD_BYTES", MAX_BYTES),
    storageQuotaBytes: within("storageQuotaBytes", "VOLLY_STORAGE_QUOTA_BYTES", MAX_BYTES),
    uploadExpiryMs: within("uploadExpiryMs", "VOLLY_UPLOAD_EXPIRY_MS", MAX_EXPIRY_MS),
    ...(typeof blobDir === "string" ? { blobDir } : {}),
  };
}

/** The blob directory of a configuration: `files.blobDir`, else `<dataDir>/blobs`. */
export function blobDirOf(config: { dataDir: string; files: FilesConfig }): string {
  return config.files.blobDir ?? join(config.dataDir, "blobs");
}

/**
 * What the composer says when the SDK refuses files before uploading them: too large for the
 * server (VOLLY_E_TOO_LARGE, `details.limit` in plaintext bytes), over the account's storage quota
 * (VOLLY_E_QUOTA_EXCEEDED); anything else as `describeError` says it.
 */
import { SdkError } from "../../worker/sdk-error.js";
import { describeError } from "../errors.js";
import { formatMiB, formatStorage } from "./format.js";

function detailNumber(details: Record<string, unknown> | undefined, key: string): number | undefined {
  const v = details?.[key];
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** A sentence for an error of `attachments.send`. */
export function describeSendError(err: unknown): string {
  if (err instanceof SdkError && err.code === "VOLLY_E_TOO_LARGE") {
    const limit = detailNumber(err.details, "limit");
    const name = typeof err.details?.name === "string" ? `“${err.details.name}” is` : "This file is";
    return limit === undefined
      ? `${name} too large for this server. Nothing was uploaded.`
      : `${name} too large: this server takes files up to ${formatMiB(limit)}. Nothing was uploaded.`;
  }
  if (err instanceof SdkError && err.code === "VOLLY_E_QUOTA_EXCEEDED") {
    const quota = detailNumber(err.details, "quota") ?? detailNumber(err.details, "limit");
    return quota === undefined
      ? "Your storage on this server is full. Delete some files you sent, then try again. Nothing was uploaded."
      : `Your storage on this server (${formatStorage(quota)}) is full. Delete some files you sent, then try again. Nothing was uploaded.`;
  }
  return describeError(err);
}

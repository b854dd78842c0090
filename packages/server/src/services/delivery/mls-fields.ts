import type { GroupMember } from "@volly/crypto";
import { VollyError } from "@volly/protocol";
import type { DeviceRecord } from "../../store/types.js";
import type { CommitInspector } from "./commit-inspector.js";

/**
 * Whether a leaf is this device's: its credential names the device and its account, and its
 * signature key is the one the device registered (base64url).
 */
export function isDeviceLeaf(member: GroupMember, device: DeviceRecord): boolean {
  return (
    member.credential.deviceId === device.id &&
    member.credential.accountId === device.accountId &&
    member.signaturePublicKey === device.signaturePublicKey
  );
}

/**
 * The bytes of a base64url MLS field (a request field the schema already checked, or stored text).
 * Uses Node's native decoder: a large group's commit, trees and Welcome are megabytes, and this runs
 * on the event loop. Characters outside the alphabet are skipped, so garbage decodes to garbage that
 * the MLS checks then refuse.
 */
export function mlsBytes(text: string): Uint8Array {
  const buffer = Buffer.from(text, "base64url");
  // A plain Uint8Array over the same memory: ts-mls expects Uint8Array's copying `slice`.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * The error to answer for a failed MLS check of a request field: a VollyError is the request's
 * fault and keeps its code, message and details, with `details.field` naming the field; anything
 * else (the stored state is unusable, the inspection worker failed) is the server's: `report` gets
 * its message to log, and the client gets VOLLY_E_INTERNAL.
 *
 * @param field the request field checked ("commit", "groupInfo", …)
 */
export function inspectionFailure(
  error: unknown,
  field: string,
  report: (message: string) => void,
): VollyError {
  if (error instanceof VollyError) {
    if (error.code === "VOLLY_E_INTERNAL") return error;
    return new VollyError(error.code, error.message, { ...error.details, field });
  }
  report(error instanceof Error ? error.message : String(error));
  return new VollyError("VOLLY_E_INTERNAL");
}

/**
 * The KeyPackageRefs (base64url) a Welcome is addressed to (RFC 9420 §12.4.3.1).
 *
 * @param welcome base64url MLSMessage of wireformat mls_welcome
 * @throws VollyError VOLLY_E_BAD_REQUEST (details.cause "malformed", details.field "welcome");
 *   Error when the inspection worker failed
 */
export async function welcomeRefs(inspector: CommitInspector, welcome: string): Promise<string[]> {
  try {
    return await inspector.welcomeKeyPackageRefs(mlsBytes(welcome));
  } catch (error) {
    if (!(error instanceof VollyError)) throw error;
    throw new VollyError(
      "VOLLY_E_BAD_REQUEST",
      "The Welcome is not an MLSMessage of wireformat mls_welcome.",
      {
        cause: "malformed",
        field: "welcome",
      },
    );
  }
}

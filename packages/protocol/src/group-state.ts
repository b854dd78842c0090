import { type Static, Type } from "@sinclair/typebox";
import { Base64Url, Id } from "./common.js";
import { LIMITS } from "./limits.js";

/**
 * The GroupInfo (RFC 9420 §12.4.3) and ratchet tree of a group's current epoch, kept by the
 * delivery service so a device whose state is lost or forked can rejoin with an external commit
 * that replaces its own old leaf (RFC 9420 §12.4.3.2, resync).
 */
export const GroupInfoResponse = Type.Object({
  groupId: Id,
  epoch: Type.Integer({ minimum: 0 }),
  groupInfo: Base64Url(
    LIMITS.maxRequestBodyBytes,
    "MLSMessage with wireformat mls_group_info (with external_pub)",
  ),
  ratchetTree: Base64Url(LIMITS.maxRequestBodyBytes, "ratchet tree of that epoch"),
});
export type GroupInfoResponse = Static<typeof GroupInfoResponse>;

/** Grant the admin role to an account in a group (admins only). */
export const GrantAdminBody = Type.Object({ accountId: Id }, { additionalProperties: false });
export type GrantAdminBody = Static<typeof GrantAdminBody>;

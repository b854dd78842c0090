import { type Static, Type } from "@sinclair/typebox";
import { Handle, Id, LocalHandle, ServerName, SignatureB64, Timestamp } from "./common.js";

/**
 * Moving an account to another server (issue 18, `docs/architecture.md` "Federation"): the account
 * keeps its id and its devices' ids and keys (the MLS credentials of its group memberships), gets a
 * handle on the new server, and every server it shares a conversation with re-homes its devices.
 */

/**
 * A device's signed statement that its account moves from one server to another. Both handles are
 * qualified (`user@server`); `signature` is the device's Ed25519 signature over
 * `signingInput.accountMove(...)` of these fields. The old server checks it against its own record of
 * the device, the new server against the old server's description of the account.
 */
export const AccountMove = Type.Object(
  {
    accountId: Id,
    /** The signing device (a device of the account on the old server). */
    deviceId: Id,
    /** The account's handle on the old server, `user@server`. */
    from: Handle,
    /** The account's handle on the new server, `user@server`. */
    to: Handle,
    /** When the device signed it (ms); a server refuses one older than {@link ACCOUNT_MOVE_MAX_AGE_MS}. */
    at: Timestamp,
    signature: SignatureB64,
  },
  { additionalProperties: false },
);
export type AccountMove = Static<typeof AccountMove>;

/** How old a signed {@link AccountMove} may be when a server first acts on it (ms). */
export const ACCOUNT_MOVE_MAX_AGE_MS = 15 * 60 * 1000;

/** Where a moved device stood in one group: it durably processed the group's log up to `seq`. */
export const MovedCursor = Type.Object(
  { groupId: Id, seq: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export type MovedCursor = Static<typeof MovedCursor>;

/** Body of POST /v1/accounts/import: the signed move, and where the device stands in each group. */
export const ImportAccountBody = Type.Object(
  {
    move: AccountMove,
    cursors: Type.Array(MovedCursor, { maxItems: 10_000 }),
  },
  { additionalProperties: false },
);
export type ImportAccountBody = Static<typeof ImportAccountBody>;

/** A group the moved account's devices are members of, and the server that hosts it. */
export const MovedGroup = Type.Object({ groupId: Id, hub: ServerName }, { additionalProperties: false });
export type MovedGroup = Static<typeof MovedGroup>;

/** Answer of POST /v1/accounts/import: the account as the new server names it, and its groups. */
export const ImportAccountResponse = Type.Object(
  {
    accountId: Id,
    deviceId: Id,
    /** The handle on the new server (bare). */
    handle: LocalHandle,
    /** The groups the account's devices are members of (the new server now follows each). */
    groups: Type.Array(MovedGroup, { maxItems: 100_000 }),
  },
  { additionalProperties: false },
);
export type ImportAccountResponse = Static<typeof ImportAccountResponse>;

/**
 * Body of POST /federation/v1/moves, sent by the new server: to the old one (which then hands the
 * account over and answers its groups) and to the hubs of the account's groups (which then ask the
 * old server and re-home the account's devices).
 */
export const FederatedMoveBody = Type.Object({ move: AccountMove }, { additionalProperties: false });
export type FederatedMoveBody = Static<typeof FederatedMoveBody>;

/** Answer of POST /federation/v1/moves: the groups the old server knows the account in (else none). */
export const FederatedMoveResponse = Type.Object(
  { groups: Type.Array(MovedGroup, { maxItems: 100_000 }) },
  { additionalProperties: false },
);
export type FederatedMoveResponse = Static<typeof FederatedMoveResponse>;

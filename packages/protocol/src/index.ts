export type { Static, TSchema } from "@sinclair/typebox";
export {
  Base64Url,
  EntityType,
  ErrorResponse,
  Handle,
  Id,
  PublicKey,
  SignatureB64,
  Timestamp,
} from "./common.js";
export {
  AccountSyncContent,
  ApplicationContent,
  GroupMetaContent,
  HistoryChunkContent,
  HistoryMessage,
  ReceiptContent,
  TextContent,
} from "./content.js";
export type {
  ApproveDeviceLinkBody,
  ApproveDeviceLinkResponse,
  ClaimDeviceLinkBody,
  CreateDeviceLinkResponse,
  DeviceLinkClaimedEvent,
  DeviceLinkStatus,
  RevokeDeviceResponse,
} from "./device-links.js";
export { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "./encoding.js";
export {
  ERROR_CODES,
  type ErrorBody,
  type ErrorCode,
  isErrorCode,
  type RetryClass,
  retryClass,
  VollyError,
} from "./errors.js";
export {
  type AckFrame,
  AckFrame as AckFrameSchema,
  ClientFrame,
  DISPATCH_EVENTS,
  type DispatchEventName,
  type DispatchPayload,
  GatewayOp,
  type GroupMessageEvent,
  HeartbeatFrame,
  type HelloData,
  IdentifyFrame as IdentifyFrameSchema,
  type IdentifyFrame,
  type PresenceEvent,
  PresenceStatus,
  PresenceUpdateFrame,
  type ReadyEvent,
  ResumeFrame as ResumeFrameSchema,
  type ResumeFrame,
  type SendAckData,
  SendAckFrame,
  type SendFrame,
  SendFrame as SendFrameSchema,
  ServerFrame,
  type SyncedEvent,
  TypingFrame,
  type TypingStartEvent,
  type WelcomeEvent,
} from "./gateway.js";
export type { GrantAdminBody, GroupInfoResponse } from "./group-state.js";
export { HANDLE_PATTERN, ID_PATTERN, isValidHandle, newId } from "./ids.js";
export { InvitePayload } from "./invite.js";
export { jsonDepthExceeds, parseBoundedJson } from "./json-depth.js";
export { type CommitSizeLimits, commitSizeLimits, LIMITS } from "./limits.js";
export {
  type AccountEntry,
  AccountEntry as AccountEntrySchema,
  type ChallengeResponse,
  type ClaimedKeyPackage,
  type ClaimKeyPackagesBody,
  type ClaimKeyPackagesResponse,
  ClaimReason,
  type CommitBody,
  type CommitResponse,
  type CreateGroupBody,
  type DeviceEntry,
  type DeviceLookupResponse,
  type GroupResponse,
  type HandleAvailabilityResponse,
  type HealthResponse,
  type KeyPackageCountResponse,
  type LeaveGroupResponse,
  type RegisterAccountBody,
  type RegisterAccountResponse,
  ROUTES,
  type RouteSpec,
  type SendMessageBody,
  type SendMessageResponse,
  type SessionBody,
  type SessionResponse,
  type UploadKeyPackagesBody,
} from "./rest.js";
export { signingInput } from "./signing.js";
export { matches, parse } from "./validate.js";
export { PROTOCOL_VERSION, VOLLY_VERSION } from "./version.js";

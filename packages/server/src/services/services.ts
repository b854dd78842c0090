import { join } from "node:path";
import { loadSuite, type MlsSuite } from "@volly/crypto";
import { DEFAULT_FILES, type FilesConfig } from "../config-files.js";
import type { AccountMoves } from "../federation/account-moves.js";
import { type AccountRecoveryService, createAccountRecoveryService } from "./account-recovery.js";
import { type AccountService, createAccountService } from "./accounts.js";
import { type ApiKeyService, createApiKeyService } from "./api-keys/api-key-service.js";
import { type AuthService, createAuthService } from "./auth.js";
import { createBlobFiles } from "./blobs/blob-files.js";
import { type BlobService, createBlobService } from "./blobs/blob-service.js";
import { createChannelAccessReconciler } from "./communities/channel-access.js";
import { type ChannelService, createChannelService } from "./communities/channels-service.js";
import { type CommunityService, createCommunityService } from "./communities/communities-service.js";
import { createCommunityAftermath } from "./communities/community-aftermath.js";
import { type CommunityEvents, createCommunityEvents } from "./communities/community-events.js";
import type { CommunityRelay } from "./communities/community-relay.js";
import { createModerationService, type ModerationService } from "./communities/moderation-service.js";
import { createRoleService, type RoleService } from "./communities/roles-service.js";
import type { ServiceContext } from "./context.js";
import { createCommitInspector } from "./delivery/commit-inspector.js";
import { createDeliveryService, type DeliveryService } from "./delivery/delivery-service.js";
import { createDeviceLinkService, type DeviceLinkService } from "./device-links.js";
import { createDeviceRevocationService, type DeviceRevocationService } from "./device-revocation.js";
import { createEphemeralService, type EphemeralService } from "./ephemeral.js";
import { createGroupService, type GroupService } from "./groups/group-service.js";
import { createMembershipPolicies } from "./groups/membership-policies.js";
import { createKeyPackageService, type KeyPackageService } from "./key-packages.js";
import { createPresenceService, type PresenceService } from "./presence.js";
import { createScheduledService, type ScheduledService } from "./scheduled/scheduled-service.js";
import { DEFAULT_SERVICE_LIMITS, type ServiceLimits } from "./service-limits.js";
import { createTypingService, type TypingService } from "./typing.js";
import type { VoiceService } from "./voice/voice-service.js";

/** Every server service, built over one store and bus. */
export interface Services {
  accounts: AccountService;
  auth: AuthService;
  keyPackages: KeyPackageService;
  /** Groups: creation, admins, GroupInfo for resync. */
  groups: GroupService;
  /** The group logs: commits, messages, departures, backlog, cursors. */
  delivery: DeliveryService;
  deviceLinks: DeviceLinkService;
  deviceRevocation: DeviceRevocationService;
  /** Recovery keys, account backups and restoring an account with every device lost. */
  recovery: AccountRecoveryService;
  presence: PresenceService;
  typing: TypingService;
  /** Ephemeral MLS messages (call signaling): relayed to connected devices, never stored. */
  ephemeral: EphemeralService;
  /** Communities: settings, ownership, invites, joining and leaving. */
  communities: CommunityService;
  /** Community channels and their permission overwrites. */
  channels: ChannelService;
  /** Community roles and their assignment. */
  roles: RoleService;
  /** Kicks, bans, timeouts and the audit log. */
  moderation: ModerationService;
  /** Messages held as ciphertext until their release time (released by `scheduled/release-job.ts`). */
  scheduled: ScheduledService;
  /** Encrypted files: upload admission and completion, download access (`blobs/`). */
  blobs: BlobService;
  /** API keys of accounts: create, list, revoke, rotate (`api-keys/`). */
  apiKeys: ApiKeyService;
  /** Community voice channels (`voice/`); set by the app when it is built (it needs the SFU). */
  voice?: VoiceService;
  /** Tells members' live sessions that a community changed (COMMUNITY_UPDATE). */
  communityEvents: CommunityEvents;
  /**
   * Relays community calls naming another server's community there; set by the federation
   * (`federation/community-relay.ts`) when it runs.
   */
  communityRelay?: CommunityRelay;
  /** Moving accounts between servers; set by the federation (`federation/account-moves.ts`) when it runs. */
  accountMoves?: AccountMoves;
}

/**
 * Builds all services.
 *
 * @param context store, bus and clock
 * @param ciphersuite the MLS ciphersuite key packages, groups and commits must use (RFC 9420 §5.1
 *   name); loaded on first use
 * @param limits storage quotas, the key package cap and claim rate limits (default
 *   DEFAULT_SERVICE_LIMITS)
 * @param files the file limits and blob directory (default DEFAULT_FILES in `./volly-data/blobs`);
 *   `context.blobFiles` is set to that directory for the services
 */
export function createServices(
  baseContext: ServiceContext,
  ciphersuite: string,
  limits: ServiceLimits = DEFAULT_SERVICE_LIMITS,
  files: { config: FilesConfig; dir: string } = { config: DEFAULT_FILES, dir: join("volly-data", "blobs") },
): Services {
  const blobFiles = baseContext.blobFiles ?? createBlobFiles(files.dir);
  const context: ServiceContext = { ...baseContext, blobFiles };
  const policies = createMembershipPolicies(context.now);
  let suite: Promise<MlsSuite> | undefined;
  const getSuite = () => {
    suite ??= loadSuite(ciphersuite).catch((error: unknown) => {
      suite = undefined;
      throw error;
    });
    return suite;
  };
  const inspector = createCommitInspector({ suite: getSuite, ciphersuite });
  const delivery = createDeliveryService(context, policies, inspector, limits);
  const communityEvents = createCommunityEvents(context);
  const aftermath = createCommunityAftermath(
    createChannelAccessReconciler(context, delivery),
    communityEvents,
    // the voice service is set on the services by the app once it is built (it needs the SFU)
    async (communityId) => services.voice?.reconcile(communityId),
  );
  const deviceRevocation = createDeviceRevocationService(context, delivery);
  const groups = createGroupService(context, policies, inspector, limits);
  const services: Services = {
    accounts: createAccountService(context),
    auth: createAuthService(context),
    keyPackages: createKeyPackageService(context, ciphersuite, limits),
    groups,
    delivery,
    deviceLinks: createDeviceLinkService(context),
    deviceRevocation,
    recovery: createAccountRecoveryService(context, deviceRevocation),
    presence: createPresenceService(context),
    typing: createTypingService(context, policies),
    ephemeral: createEphemeralService(context, policies),
    communities: createCommunityService(context, aftermath),
    channels: createChannelService(context, aftermath),
    roles: createRoleService(context, aftermath),
    moderation: createModerationService(context, aftermath),
    scheduled: createScheduledService(context, groups),
    blobs: createBlobService(context, files.config, blobFiles),
    apiKeys: createApiKeyService(context),
    communityEvents,
  };
  return services;
}

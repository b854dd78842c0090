import type { ServiceContext } from "../context.js";
import type { MembershipPolicies } from "../groups/membership-policies.js";
import { DEFAULT_SERVICE_LIMITS, type ServiceLimits } from "../service-limits.js";
import { type BacklogReader, createBacklogReader } from "./backlog.js";
import type { CommitInspector } from "./commit-inspector.js";
import { createCommitVerifier } from "./commit-verification.js";
import { type CommitSequencer, createCommitSequencer } from "./commits.js";
import { type CursorTracker, createCursorTracker } from "./cursors.js";
import { createDepartureRecorder, type DepartureRecorder } from "./departures.js";
import { createMessageRemover, type MessageRemover } from "./message-deletion.js";
import { createMessageAppender, type MessageAppender } from "./send.js";

/**
 * The MLS delivery service (RFC 9420 §16.9 and §14 "Sequencing of State Changes"): one ordered log
 * per group, first commit per epoch wins, per-device Welcome inboxes and delivery cursors. Every
 * write is acknowledged only after its transaction commits; bus notifications follow the commit.
 * Groups themselves (creation, admins, GroupInfo) are the group service's (`services/groups/`), and
 * who may commit what and send is each group's `MembershipPolicy`.
 */
export interface DeliveryService
  extends CommitSequencer,
    MessageAppender,
    DepartureRecorder,
    BacklogReader,
    CursorTracker,
    MessageRemover {}

/**
 * Builds the {@link DeliveryService} from its parts, all over the same store and bus.
 *
 * @param policies the membership policies groups follow, by name
 * @param inspector the MLS checks commits are verified with (`commit-verification.ts`)
 * @param limits the storage quotas commits and messages count against (default
 *   DEFAULT_SERVICE_LIMITS)
 */
export function createDeliveryService(
  context: ServiceContext,
  policies: MembershipPolicies,
  inspector: CommitInspector,
  limits: Pick<ServiceLimits, "accountBytes" | "groupBytes"> = DEFAULT_SERVICE_LIMITS,
): DeliveryService {
  return {
    ...createCommitSequencer(context, policies, createCommitVerifier(context, policies, inspector), limits),
    ...createMessageAppender(context, policies, limits),
    ...createDepartureRecorder(context),
    ...createBacklogReader(context),
    ...createCursorTracker(context),
    ...createMessageRemover(context),
  };
}

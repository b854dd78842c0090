import {
  type CredentialIdentity,
  decodeGroup,
  encodeGroup,
  type GroupMember,
  groupEpoch,
  groupMembers,
  isRemovedFromGroup,
  type MlsGroup,
} from "@volly/crypto";
import {
  type CommitBody,
  type CommitResponse,
  fromBase64Url,
  retryClass,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import type { MembershipBody, MessageRecord } from "../messaging/message-records.js";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import type { VaultBatch } from "../storage/vault.js";
import type { PreparedCommit } from "./commit-builders.js";
import type {
  ConversationMember,
  ConversationRecord,
  MembershipEnd,
  PendingCommitRecord,
} from "./conversation-records.js";
import type { ConversationState } from "./conversation-state.js";
import { pruneDepartures } from "./departures.js";
import type { Directory } from "./directory.js";
import { commitMembershipChanges } from "./membership-events.js";
import { type MembershipEventOrigin, type MembershipTimeline, toParty } from "./membership-timeline.js";
import { withMembers } from "./names.js";
import { attachGroupInfo, RECOVERY_NOTICE, rejoinByExternalCommit } from "./resync.js";

/** How many times a commit is rebuilt after VOLLY_E_STALE_EPOCH before giving up. */
export const MAX_COMMIT_ATTEMPTS = 5;
/** How long a rejected committer waits for the gateway to deliver the winning commit (ms). */
export const CATCH_UP_TIMEOUT_MS = 15_000;

/**
 * Builds a commit on `group` (the conversation's current state, inside its queue), or returns
 * undefined when there is nothing (left) to commit. `excludedRemovals` are devices the delivery
 * service refused to remove (already gone): leave them out of `removeDeviceIds`.
 */
export type PrepareCommit = (
  group: MlsGroup,
  conv: ConversationRecord,
  excludedRemovals: ReadonlySet<string>,
) => Promise<PreparedCommit | undefined>;

/** Where an incoming commit came from, for its membership events (see `membership-events.ts`). */
export interface CommitOrigin extends MembershipEventOrigin {
  /** The group's leaves before the commit. */
  before: readonly GroupMember[];
  /** The commit's sender leaf credential (undefined: not known). */
  committer: CredentialIdentity | undefined;
}

/** A processed incoming commit: the updated conversation and departed devices still to remove. */
export interface AppliedCommit {
  conv: ConversationRecord;
  /** Departed devices still in the group after this commit (their Remove is still to commit). */
  departed: string[];
}

type Attempt =
  | { kind: "done"; conv: ConversationRecord }
  | { kind: "stale"; epoch: number | undefined }
  | { kind: "exclude"; deviceId: string };

/**
 * The commit pipeline (RFC 9420 §12.4, one commit per epoch, ordered by the delivery service):
 * builds a commit in the conversation's queue, keeps it aside as a pending commit, posts it, and
 * adopts its state only once the delivery service accepted it. A commit rejected as stale is
 * rebuilt after this device processed the winning commit; one whose outcome is unknown (the server
 * unreachable) is settled later with the same bytes. Also applies incoming commits and rejoins by
 * external commit. Every method that ends in `Locked` must run inside the conversation's queue.
 */
export class GroupCommits {
  constructor(
    private readonly ctx: ClientContext,
    private readonly queue: KeyedQueue,
    private readonly directory: Directory,
    private readonly state: ConversationState,
    private readonly timeline: MembershipTimeline,
  ) {}

  /**
   * Builds a commit with `prepare` on the current state and sends it; adopts the new state only
   * once the delivery service accepted it. On VOLLY_E_STALE_EPOCH (another commit won the epoch)
   * waits until the gateway delivered and this device processed the winning commit, then rebuilds
   * — at most MAX_COMMIT_ATTEMPTS times. A failure whose retry class is not "never" (the server
   * unreachable…) keeps the commit pending, to be settled later ({@link settleLocked}), and is
   * rethrown.
   *
   * @param knownMembers member names to fall back on while the directory cannot be asked
   * @throws VOLLY_E_NOT_GROUP_MEMBER (left), VOLLY_E_STALE_EPOCH (still stale after
   *   MAX_COMMIT_ATTEMPTS, or the winning commit did not arrive in CATCH_UP_TIMEOUT_MS), the
   *   delivery service's errors, VOLLY_E_SERVER_UNREACHABLE
   */
  async commit(
    conversationId: string,
    prepare: PrepareCommit,
    knownMembers?: ConversationMember[],
  ): Promise<ConversationRecord> {
    const excluded = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.queue.run(conversationId, () =>
        this.attemptLocked(conversationId, prepare, excluded, knownMembers),
      );
      if (outcome.kind === "done") return outcome.conv;
      if (attempt >= MAX_COMMIT_ATTEMPTS) {
        throw new VollyError("VOLLY_E_STALE_EPOCH", "Other members kept committing; try again.");
      }
      if (outcome.kind === "exclude") excluded.add(outcome.deviceId);
      else await this.waitForEpoch(conversationId, outcome.epoch);
    }
  }

  /**
   * Resolves a commit of this device whose outcome is unknown: resends the same bytes (the delivery
   * service returns the original result for a retry of the winner) and adopts its state if
   * accepted, drops it if the server refuses it for good. Call before using the group state.
   * Throws the failure when its retry class is not "never" (VOLLY_E_SERVER_UNREACHABLE…).
   */
  async settleLocked(conversationId: string): Promise<void> {
    const { stores } = this.ctx;
    if (!(await stores.pendingCommits.has(conversationId))) return;
    const pending = await stores.pendingCommits.get(conversationId);
    if (!pending) return;
    let accepted: CommitResponse;
    try {
      accepted = await this.postCommit(conversationId, pending.body);
    } catch (err) {
      if (retryClass(err) !== "never") throw err;
      await stores.pendingCommits.delete(stores.batch(), conversationId).commit();
      if (err instanceof VollyError && err.code === "VOLLY_E_NOT_GROUP_MEMBER") {
        await this.state.markLeftLocked(conversationId);
      }
      return;
    }
    const before = groupMembers(await this.state.loadGroup(conversationId));
    await this.adoptLocked(await this.state.get(conversationId), pending, { before, seq: accepted.seq });
  }

  /**
   * Settles every commit whose outcome is unknown, each in its conversation's queue (after every
   * SYNCED). A conversation whose commit still cannot be settled is left for the next time.
   */
  async settleAll(): Promise<void> {
    for (const id of await this.ctx.stores.pendingCommits.ids()) {
      await this.queue
        .run(id, () => this.settleLocked(id))
        .catch(this.ctx.diagnostics.catcher("commits.settle"));
    }
  }

  /**
   * Applies an incoming commit processed from the log (RFC 9420 §12.4.2): saves the new state with
   * the advanced conversation, refreshes the members (those gone move to `formerMembers`), records
   * the commit's membership events when `origin` says where it came from, and marks the
   * conversation left when the commit removed this device ("removed by" the committer). Returns
   * the departed devices still to remove (schedule their Remove with `Departures.schedule`).
   */
  async applyIncomingLocked(
    advanced: ConversationRecord,
    newGroup: MlsGroup,
    origin?: CommitOrigin,
  ): Promise<AppliedCommit> {
    const { stores } = this.ctx;
    if (isRemovedFromGroup(newGroup))
      return { conv: await this.removedLocked(advanced, origin), departed: [] };
    const members = await this.directory.membersOf(newGroup, advanced.members);
    const conv = withMembers(advanced, members);
    const departedBefore = new Set(await stores.departures.of(conv.id));
    const batch = stores.conversations.save(stores.groupStates.put(stores.batch(), conv.id, newGroup), conv);
    const departed = await pruneDepartures(stores, conv.id, newGroup, batch);
    const events = origin
      ? this.stageCommitEvents(batch, advanced, conv, members, {
          ...origin,
          after: groupMembers(newGroup),
          departed: departedBefore,
        })
      : [];
    await batch.commit();
    this.state.epochs.emit({ conversationId: conv.id, epoch: groupEpoch(newGroup), left: false });
    this.state.changes.emit(conv);
    this.timeline.announce(events);
    if (origin) this.announceJoins(conv.id, origin, groupMembers(newGroup));
    return { conv, departed };
  }

  /** Fires `state.joins` when a commit added devices of other accounts. */
  private announceJoins(conversationId: string, origin: CommitOrigin, after: GroupMember[]): void {
    const before = new Set(origin.before.map((m) => m.credential.deviceId));
    const added = after.filter(
      (m) => !before.has(m.credential.deviceId) && m.credential.accountId !== this.ctx.profile.accountId,
    );
    if (added.length > 0) this.state.joins.emit({ conversationId, added, members: after, at: origin.at });
  }

  /**
   * Rejoins the conversation's group by external commit, replacing this device's own leaf (RFC 9420
   * §12.4.3.2; see `resync.ts`), because its state is lost or forked. Saves the new state with
   * `advanced`, sets the notice "Messages may have been missed" (with `noticeAt`, so a UI can place
   * it in the timeline), counts the recovery on the record, records the new state's epoch as the one
   * this device joined at (`joinedEpoch`: older messages are skipped, the notice covers them) and
   * emits `changes`.
   *
   * @throws whatever {@link rejoinByExternalCommit} throws; nothing is stored then
   */
  async recoverLocked(advanced: ConversationRecord): Promise<AppliedCommit> {
    const { newGroup } = await rejoinByExternalCommit(this.ctx, advanced.id);
    const noticed = {
      ...advanced,
      joinedEpoch: groupEpoch(newGroup),
      notice: RECOVERY_NOTICE,
      noticeAt: Date.now(),
      recoveries: (advanced.recoveries ?? 0) + 1,
    };
    return this.applyIncomingLocked(noticed, newGroup);
  }

  private async attemptLocked(
    conversationId: string,
    prepare: PrepareCommit,
    excluded: ReadonlySet<string>,
    knownMembers: ConversationMember[] | undefined,
  ): Promise<Attempt> {
    const { stores } = this.ctx;
    await this.settleLocked(conversationId);
    const conv = await this.state.get(conversationId);
    if (conv.left) throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this group.");
    const group = await this.state.loadGroup(conversationId);
    const before = groupMembers(group);
    const prepared = await prepare(group, conv, excluded);
    if (!prepared) return { kind: "done", conv };
    const body = await attachGroupInfo(this.ctx, prepared);
    const pending: PendingCommitRecord = {
      body,
      newGroup: toBase64Url(encodeGroup(prepared.newGroup)),
    };
    await stores.pendingCommits.put(stores.batch(), conversationId, pending).commit();
    let accepted: CommitResponse;
    try {
      accepted = await this.postCommit(conversationId, body);
    } catch (err) {
      if (retryClass(err) !== "never") throw err;
      await stores.pendingCommits.delete(stores.batch(), conversationId).commit();
      if (!(err instanceof VollyError)) throw err;
      if (err.code === "VOLLY_E_STALE_EPOCH") {
        const epoch = err.details?.currentEpoch;
        return { kind: "stale", epoch: typeof epoch === "number" ? epoch : undefined };
      }
      const deviceId = err.details?.deviceId;
      if (
        err.code === "VOLLY_E_BAD_REQUEST" &&
        typeof deviceId === "string" &&
        prepared.body.removeDeviceIds.includes(deviceId)
      ) {
        return { kind: "exclude", deviceId };
      }
      if (err.code === "VOLLY_E_NOT_GROUP_MEMBER") await this.state.markLeftLocked(conversationId);
      throw err;
    }
    const adopted = await this.adoptLocked(conv, pending, { before, seq: accepted.seq }, knownMembers);
    return { kind: "done", conv: adopted };
  }

  /**
   * Adopts an accepted commit's state (inside the queue), refreshes the members and records the
   * commit's membership events ("You added Carol"); `own.before` are the leaves it was built on.
   */
  private async adoptLocked(
    conv: ConversationRecord,
    pending: PendingCommitRecord,
    own: { before: readonly GroupMember[]; seq: number },
    knownMembers?: ConversationMember[],
  ): Promise<ConversationRecord> {
    const { stores, profile } = this.ctx;
    const group = decodeGroup(fromBase64Url(pending.newGroup));
    const members = await this.directory.membersOf(group, [...(knownMembers ?? []), ...(conv.members ?? [])]);
    const updated = withMembers(conv, members);
    const departedBefore = new Set(await stores.departures.of(conv.id));
    const batch = stores.groupStates.put(stores.batch(), conv.id, group);
    stores.pendingCommits.delete(batch, conv.id);
    stores.conversations.save(batch, updated);
    await pruneDepartures(stores, conv.id, group, batch);
    const events = this.stageCommitEvents(batch, conv, updated, members, {
      before: own.before,
      after: groupMembers(group),
      committer: { accountId: profile.accountId, deviceId: profile.deviceId },
      departed: departedBefore,
      at: Date.now(),
      seq: own.seq,
      fromDeviceId: profile.deviceId,
    });
    await batch.commit();
    this.state.epochs.emit({ conversationId: conv.id, epoch: groupEpoch(group), left: false });
    this.state.changes.emit(updated);
    this.timeline.announce(events);
    return updated;
  }

  /**
   * Stages the membership events of a commit (see `commitMembershipChanges`) in `batch`, named from
   * the members before (`previous`) and after (`members`) it.
   */
  private stageCommitEvents(
    batch: VaultBatch,
    previous: ConversationRecord,
    updated: ConversationRecord,
    members: readonly ConversationMember[],
    change: CommitOrigin & { after: readonly GroupMember[]; departed: ReadonlySet<string> },
  ): MessageRecord[] {
    if (!this.timeline.shows(updated)) return [];
    const bodies = commitMembershipChanges({
      before: change.before,
      after: change.after,
      committer: change.committer,
      departed: change.departed,
      ownAccountId: this.ctx.profile.accountId,
      party: (accountId) => this.timeline.party(previous, accountId, members),
    });
    return this.timeline.stage(batch, updated, bodies, change);
  }

  /**
   * The commit just processed removed this device (RFC 9420 §12.1.3): the conversation is marked
   * left, removed by the committer when known ("Alice removed you" in the timeline).
   */
  private async removedLocked(
    advanced: ConversationRecord,
    origin?: CommitOrigin,
  ): Promise<ConversationRecord> {
    const committer = origin?.committer;
    const by =
      committer && committer.accountId !== this.ctx.profile.accountId
        ? this.timeline.member(advanced, committer.accountId)
        : undefined;
    const at = origin?.at ?? Date.now();
    const end: MembershipEnd = { reason: "removed", at, ...(by ? { by } : {}) };
    let events: MessageRecord[] = [];
    const stage = (batch: VaultBatch, conv: ConversationRecord) => {
      if (!by || !origin) return;
      const body: MembershipBody = {
        type: "membership",
        change: "removed",
        actor: toParty(by),
        subjects: [this.timeline.self()],
      };
      events = this.timeline.stage(batch, conv, [body], origin);
    };
    const conv = await this.state.markLeftLocked(advanced.id, { record: advanced, end, stage });
    this.timeline.announce(events);
    return conv;
  }

  private postCommit(conversationId: string, body: CommitBody): Promise<CommitResponse> {
    return this.ctx.api.call("commit", { params: { groupId: conversationId }, body });
  }

  /** Resolves once this device's state of the group reached `epoch` (or it left); else STALE. */
  private waitForEpoch(conversationId: string, epoch: number | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      let target = epoch;
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(() => {
        off();
        reject(new VollyError("VOLLY_E_STALE_EPOCH", "Could not catch up with the group's commits in time."));
      }, CATCH_UP_TIMEOUT_MS);
      const off = this.state.epochs.add((e) => {
        if (e.conversationId !== conversationId) return;
        if (e.left || (target !== undefined && e.epoch >= target)) done();
      });
      this.state.loadGroup(conversationId).then(
        (g) => {
          target ??= groupEpoch(g) + 1;
          if (groupEpoch(g) >= target) done();
        },
        () => done(),
      );
    });
  }
}

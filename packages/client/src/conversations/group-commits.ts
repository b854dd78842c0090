import { decodeGroup, encodeGroup, groupEpoch, isRemovedFromGroup, type MlsGroup } from "@volly/crypto";
import {
  type CommitBody,
  type CommitResponse,
  fromBase64Url,
  retryClass,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import type { PreparedCommit } from "./commit-builders.js";
import type { ConversationMember, ConversationRecord, PendingCommitRecord } from "./conversation-records.js";
import type { ConversationState } from "./conversation-state.js";
import { pruneDepartures } from "./departures.js";
import type { Directory } from "./directory.js";
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
    try {
      await this.postCommit(conversationId, pending.body);
    } catch (err) {
      if (retryClass(err) !== "never") throw err;
      await stores.pendingCommits.delete(stores.batch(), conversationId).commit();
      if (err instanceof VollyError && err.code === "VOLLY_E_NOT_GROUP_MEMBER") {
        await this.state.markLeftLocked(conversationId);
      }
      return;
    }
    await this.adoptLocked(await this.state.get(conversationId), pending);
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
   * the advanced conversation, refreshes the members, and marks the conversation left when the
   * commit removed this device. Returns the departed devices still to remove (schedule their
   * Remove with `Departures.schedule`).
   */
  async applyIncomingLocked(advanced: ConversationRecord, newGroup: MlsGroup): Promise<AppliedCommit> {
    const { stores } = this.ctx;
    if (isRemovedFromGroup(newGroup)) {
      await stores.conversations.save(stores.batch(), advanced).commit();
      return { conv: await this.state.markLeftLocked(advanced.id), departed: [] };
    }
    const members = await this.directory.membersOf(newGroup, advanced.members);
    const conv = withMembers(advanced, members);
    const batch = stores.conversations.save(stores.groupStates.put(stores.batch(), conv.id, newGroup), conv);
    const departed = await pruneDepartures(stores, conv.id, newGroup, batch);
    await batch.commit();
    this.state.epochs.emit({ conversationId: conv.id, epoch: groupEpoch(newGroup), left: false });
    this.state.changes.emit(conv);
    return { conv, departed };
  }

  /**
   * Rejoins the conversation's group by external commit, replacing this device's own leaf (RFC 9420
   * §12.4.3.2; see `resync.ts`), because its state is lost or forked. Saves the new state with
   * `advanced`, sets the notice "Messages may have been missed" (with `noticeAt`, so a UI can place
   * it in the timeline), counts the recovery on the record and emits `changes`.
   *
   * @throws whatever {@link rejoinByExternalCommit} throws; nothing is stored then
   */
  async recoverLocked(advanced: ConversationRecord): Promise<AppliedCommit> {
    const { newGroup } = await rejoinByExternalCommit(this.ctx, advanced.id);
    const noticed = {
      ...advanced,
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
    const prepared = await prepare(group, conv, excluded);
    if (!prepared) return { kind: "done", conv };
    const body = await attachGroupInfo(this.ctx, prepared);
    const pending: PendingCommitRecord = {
      body,
      newGroup: toBase64Url(encodeGroup(prepared.newGroup)),
    };
    await stores.pendingCommits.put(stores.batch(), conversationId, pending).commit();
    try {
      await this.postCommit(conversationId, body);
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
    return { kind: "done", conv: await this.adoptLocked(conv, pending, knownMembers) };
  }

  /** Adopts an accepted commit's state (inside the queue) and refreshes the members. */
  private async adoptLocked(
    conv: ConversationRecord,
    pending: PendingCommitRecord,
    knownMembers?: ConversationMember[],
  ): Promise<ConversationRecord> {
    const { stores } = this.ctx;
    const group = decodeGroup(fromBase64Url(pending.newGroup));
    const members = await this.directory.membersOf(group, [...(knownMembers ?? []), ...(conv.members ?? [])]);
    const updated = withMembers(conv, members);
    const batch = stores.groupStates.putEncoded(stores.batch(), conv.id, pending.newGroup);
    stores.pendingCommits.delete(batch, conv.id);
    stores.conversations.save(batch, updated);
    await pruneDepartures(stores, conv.id, group, batch);
    await batch.commit();
    this.state.epochs.emit({ conversationId: conv.id, epoch: groupEpoch(group), left: false });
    this.state.changes.emit(updated);
    return updated;
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

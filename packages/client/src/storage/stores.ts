import type { AccountBackupRecord, ProfileRecord } from "../account/account-records.js";
import type { AccountSyncRejection } from "../account/account-sync/account-sync-api.js";
import type { ProfileSentRecord } from "../account/profile-announce.js";
import type { UserSettings } from "../account/settings-api.js";
import type { AttachmentJobRecord } from "../attachments/attachment-jobs.js";
import type { PendingCommitRecord } from "../conversations/conversation-records.js";
import type { TimelineSummary } from "../conversations/timeline-summaries.js";
import type { MessageAction } from "../messaging/actions/message-action.js";
import type { UndecryptableCounts } from "../messaging/message-records.js";
import type { DirectPeersRecord } from "../p2p/direct-api.js";
import type { ScheduleRecord } from "../scheduled/schedule-records.js";
import type { SearchSnapshot } from "../search/search-snapshot.js";
import { DeviceCache, KeyPackageStore } from "./account-stores.js";
import type { ClientStore } from "./client-store.js";
import { ConversationStore, DepartureStore } from "./conversation-stores.js";
import { GroupStateStore } from "./group-state-store.js";
import { KeyedRecords, SingleRecord } from "./keyed-records.js";
import { MessageStore, OutboxStore, UnseenStore } from "./message-stores.js";
import { RECORD_KEYS, RECORD_PREFIXES } from "./store-keys.js";
import type { Vault, VaultBatch } from "./vault.js";

/**
 * The typed record stores of one unlocked profile (like the server's repositories): every record
 * the SDK keeps is read and written through one of these, sealed by the {@link Vault} under the
 * keys of `store-keys.ts`. Writes are staged in a batch ({@link batch}) and land atomically.
 */
export class Stores {
  /** ConversationRecords by id. */
  readonly conversations: ConversationStore;
  /** The direct conversation's id, by the peer's handle. */
  readonly directConversations: KeyedRecords<string>;
  /** MLS group states by conversation id. */
  readonly groupStates: GroupStateStore;
  /** Commits whose outcome is unknown, by conversation id. */
  readonly pendingCommits: KeyedRecords<PendingCommitRecord>;
  /** Departed devices still to remove, by conversation id. */
  readonly departures: DepartureStore;
  /** This device's key packages' private halves, by ref. */
  readonly keyPackages: KeyPackageStore;
  /** Directory entries of other devices, by device id. */
  readonly devices: DeviceCache;
  /** Message records. */
  readonly messages: MessageStore;
  /** Encrypted messages waiting for the server. */
  readonly outbox: OutboxStore;
  /** Incoming messages not shown yet. */
  readonly unseen: UnseenStore;
  /** receivedAt (ms) of the newest incoming message covered by a read receipt, by conversation id. */
  readonly readReceiptMarks: KeyedRecords<number>;
  /** What of this account's profile was last sent to a conversation, by conversation id. */
  readonly profileSent: KeyedRecords<ProfileSentRecord>;
  /** receivedAt (ms) up to which a channel thread was read here, by root message id (`threads/`). */
  readonly threadReadMarks: KeyedRecords<number>;
  /** Actions received before the message they target, by target message id (applied on its arrival). */
  readonly pendingActions: KeyedRecords<MessageAction[]>;
  /** Others' actions not shown yet (`volly receive`), by `<zero-padded receivedAt>:<action id>`. */
  readonly unseenActions: KeyedRecords<MessageAction>;
  /** Who this device is. */
  readonly profile: SingleRecord<ProfileRecord>;
  /** The user's settings (unset keys take their defaults). */
  readonly settings: SingleRecord<Partial<UserSettings>>;
  /** Messages this device could not decrypt, by cause. */
  readonly undecryptable: SingleRecord<UndecryptableCounts>;
  /** Rejoins by external commit. */
  readonly recoveries: SingleRecord<number>;
  /** The account-sync document's full state (base64url Yjs update). */
  readonly accountDoc: SingleRecord<string>;
  /** Account-sync changes not sent yet (base64url Yjs update). */
  readonly accountUnsent: SingleRecord<string>;
  /** The account backup's key and the hash of the state last uploaded (`account/recovery.ts`). */
  readonly accountBackup: SingleRecord<AccountBackupRecord>;
  /** Account-sync entries ignored, by cause. */
  readonly accountRejected: SingleRecord<Partial<Record<AccountSyncRejection, number>>>;
  /**
   * Per conversation id, the `lastReadAt` (ms) whose read mark account sync's reconcile noted in the
   * account document: a conversation read no later than that is not scanned again.
   */
  readonly accountReadsNoted: SingleRecord<Record<string, number>>;
  /** The version of the record formats (see `migrations/`). */
  readonly schemaVersion: SingleRecord<number>;
  /** The search index as saved at the last close (`search/`). */
  readonly searchIndex: SingleRecord<SearchSnapshot>;
  /** Ids of messages written since {@link searchIndex} was saved (value: 1). */
  readonly searchJournal: KeyedRecords<1>;

  /** @param vault the unlocked profile's vault */
  /** Scheduled messages and recurring schedules this device knows the text of, by schedule id. */
  readonly scheduled: KeyedRecords<ScheduleRecord>;
  /** Outgoing messages with files still to upload or encrypt, by message id (`attachments/`). */
  readonly attachmentJobs: KeyedRecords<AttachmentJobRecord>;
  /** The conversation list's cached summaries, by conversation id (`conversations/timeline-summaries.ts`). */
  readonly timelineSummaries: KeyedRecords<TimelineSummary>;
  /** Messages decrypted from a direct path, waiting for their log entry: conversation id by message id. */
  readonly directReceived: KeyedRecords<string>;
  /** The direct paths this profile's running client has open, and when it said so. */
  readonly directPeers: SingleRecord<DirectPeersRecord>;

  constructor(private readonly vault: Vault) {
    this.conversations = new ConversationStore(vault);
    this.directConversations = new KeyedRecords<string>(vault, RECORD_PREFIXES.directByHandle);
    this.groupStates = new GroupStateStore(vault);
    this.pendingCommits = new KeyedRecords<PendingCommitRecord>(vault, RECORD_PREFIXES.pendingCommit);
    this.departures = new DepartureStore(vault);
    this.keyPackages = new KeyPackageStore(vault);
    this.devices = new DeviceCache(vault);
    this.messages = new MessageStore(vault);
    this.outbox = new OutboxStore(vault);
    this.unseen = new UnseenStore(vault);
    this.readReceiptMarks = new KeyedRecords<number>(vault, RECORD_PREFIXES.readReceiptMark);
    this.profileSent = new KeyedRecords<ProfileSentRecord>(vault, RECORD_PREFIXES.profileSent);
    this.threadReadMarks = new KeyedRecords<number>(vault, RECORD_PREFIXES.threadReadMark);
    this.pendingActions = new KeyedRecords<MessageAction[]>(vault, RECORD_PREFIXES.pendingActions);
    this.unseenActions = new KeyedRecords<MessageAction>(vault, RECORD_PREFIXES.unseenActions);
    this.profile = new SingleRecord<ProfileRecord>(vault, RECORD_KEYS.profile);
    this.settings = new SingleRecord<Partial<UserSettings>>(vault, RECORD_KEYS.settings);
    this.undecryptable = new SingleRecord<UndecryptableCounts>(vault, RECORD_KEYS.undecryptable);
    this.recoveries = new SingleRecord<number>(vault, RECORD_KEYS.recoveries);
    this.accountDoc = new SingleRecord<string>(vault, RECORD_KEYS.accountDoc);
    this.accountUnsent = new SingleRecord<string>(vault, RECORD_KEYS.accountUnsent);
    this.accountBackup = new SingleRecord<AccountBackupRecord>(vault, RECORD_KEYS.accountBackup);
    this.accountRejected = new SingleRecord<Partial<Record<AccountSyncRejection, number>>>(
      vault,
      RECORD_KEYS.accountRejected,
    );
    this.accountReadsNoted = new SingleRecord<Record<string, number>>(vault, RECORD_KEYS.accountReadsNoted);
    this.schemaVersion = new SingleRecord<number>(vault, RECORD_KEYS.schemaVersion);
    this.searchIndex = new SingleRecord<SearchSnapshot>(vault, RECORD_KEYS.searchIndex);
    this.searchJournal = new KeyedRecords<1>(vault, RECORD_PREFIXES.searchJournal);
    this.scheduled = new KeyedRecords<ScheduleRecord>(vault, RECORD_PREFIXES.scheduled);
    this.timelineSummaries = new KeyedRecords<TimelineSummary>(vault, RECORD_PREFIXES.timelineSummary);
    this.attachmentJobs = new KeyedRecords<AttachmentJobRecord>(vault, RECORD_PREFIXES.attachmentJob);
    this.directReceived = new KeyedRecords<string>(vault, RECORD_PREFIXES.directReceived);
    this.directPeers = new SingleRecord<DirectPeersRecord>(vault, RECORD_KEYS.directPeers);
  }

  /** Starts an atomic batch of writes; nothing is written until its `commit()`. */
  batch(): VaultBatch {
    return this.vault.batch();
  }

  /** The vault underneath (for stores of raw bytes, e.g. `attachments/attachment-sources.ts`). */
  get sealed(): Vault {
    return this.vault;
  }

  /** The raw store underneath (to close it). */
  get clientStore(): ClientStore {
    return this.vault.store;
  }
}

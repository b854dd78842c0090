import {
  accountBackupKey,
  generateRecoveryKey,
  parseRecoveryKey,
  recoveryIdentity,
  sealAccountBackup,
  sign,
} from "@volly/crypto";
import { fromBase64Url, signingInput, toBase64Url, VollyError } from "@volly/protocol";
import type { ConversationServices } from "../conversations/conversation-services.js";
import { joinRestoredConversation, type RestoredConversation } from "../conversations/restored-join.js";
import type { ClientContext } from "../shared/client-context.js";
import { AccountDoc } from "./account-sync/account-doc.js";
import type { AccountSyncService } from "./account-sync/account-sync.js";
import { selfConversationId } from "./account-sync/self-conversation.js";
import type { Recovery, RecoveryStatus, RejoinReport } from "./recovery-api.js";

/** The SDK's {@link Recovery} (see there). */
export class RecoveryService implements Recovery {
  private backingUp: Promise<boolean> | undefined;
  private again = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly conversations: ConversationServices,
    private readonly accountSync: AccountSyncService,
  ) {}

  async status(): Promise<RecoveryStatus> {
    const remote = await this.ctx.api.call("getRecoveryStatus");
    const local = await this.ctx.stores.accountBackup.get();
    return {
      configured: remote.configured,
      ...(remote.backupUpdatedAt !== undefined ? { backupUpdatedAt: remote.backupUpdatedAt } : {}),
      keepsBackup: remote.configured && local !== undefined,
    };
  }

  async setUp(): Promise<string> {
    const text = generateRecoveryKey();
    const secret = parseRecoveryKey(text);
    const recovery = recoveryIdentity(secret);
    const recoveryPublicKey = toBase64Url(recovery.signaturePublicKey);
    await this.ctx.api.call("setRecoveryKey", {
      body: {
        recoveryPublicKey,
        signature: toBase64Url(
          sign(
            recovery.signaturePrivateKey,
            signingInput.recoveryKey(this.ctx.profile.accountId, recoveryPublicKey),
          ),
        ),
      },
    });
    const { stores } = this.ctx;
    await stores.accountBackup.put(stores.batch(), { key: toBase64Url(accountBackupKey(secret)) }).commit();
    await this.backUp();
    return text;
  }

  /** Backs up now; a call while one runs makes that one run once more afterwards. */
  backUp(): Promise<boolean> {
    if (this.backingUp) {
      this.again = true;
      return this.backingUp;
    }
    this.backingUp = (async () => {
      let uploaded = false;
      do {
        this.again = false;
        uploaded = (await this.uploadOnce()) || uploaded;
      } while (this.again);
      return uploaded;
    })().finally(() => {
      this.backingUp = undefined;
    });
    return this.backingUp;
  }

  /**
   * Keeps the backup current: after each change of a conversation or of the settings (once account
   * sync wrote it into the document). Failures go to `diagnostics` ("recovery.backup").
   */
  start(changes: { add(fn: () => void): () => void }[]): void {
    for (const source of changes) {
      source.add(() => void this.backUp().catch(this.ctx.diagnostics.catcher("recovery.backup")));
    }
  }

  /**
   * Resolves once no backup is running, after one last one (failures go to `diagnostics`): called
   * by `close()`, so a short-lived client (a CLI command) does not end before its backup is stored.
   */
  async idle(): Promise<void> {
    await this.backUp().catch(this.ctx.diagnostics.catcher("recovery.backup"));
  }

  async rejoin(): Promise<RejoinReport> {
    const { stores, profile } = this.ctx;
    const raw = await stores.accountDoc.get();
    const doc = new AccountDoc(raw ? fromBase64Url(raw) : undefined);
    const report: RejoinReport = { rejoined: [], failed: [] };
    const selfId = selfConversationId(profile.accountId);
    const entries: RestoredConversation[] = [
      { id: selfId, kind: "group" },
      ...doc.conversations().map((c) => {
        const title = doc.title(c.id);
        return { ...c, ...(title !== undefined ? { title } : {}) };
      }),
    ];
    // The server knows every group the lost devices were in, also those a stale backup misses.
    const known = new Set(entries.map((e) => e.id));
    const { groupIds } = await this.ctx.api.call("listRecoveryRejoins");
    for (const id of groupIds) if (!known.has(id)) entries.push({ id, kind: "group" });
    for (const entry of entries) {
      try {
        await joinRestoredConversation(this.conversations, entry);
        report.rejoined.push(entry.id);
      } catch (err) {
        // The account's sync conversation exists only once the account had a second device.
        const missing = err instanceof VollyError && err.code === "VOLLY_E_UNKNOWN_GROUP";
        if (missing && entry.id === selfConversationId(profile.accountId)) continue;
        report.failed.push({
          conversationId: entry.id,
          code: err instanceof VollyError ? err.code : "VOLLY_E_INTERNAL",
        });
      }
    }
    return report;
  }

  private async uploadOnce(): Promise<boolean> {
    const { stores, profile } = this.ctx;
    const record = await stores.accountBackup.get();
    if (!record) return false;
    await this.accountSync.idle();
    const raw = await stores.accountDoc.get();
    const state = raw ? fromBase64Url(raw) : new AccountDoc().encodeState();
    const hash = toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(state))));
    if (hash === record.uploadedHash) return false;
    const sealed = sealAccountBackup(fromBase64Url(record.key), profile.accountId, state);
    await this.ctx.api.call("putAccountBackup", { body: { backup: toBase64Url(sealed) } });
    await stores.accountBackup.put(stores.batch(), { ...record, uploadedHash: hash }).commit();
    return true;
  }
}

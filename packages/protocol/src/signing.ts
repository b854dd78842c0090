import { utf8 } from "./encoding.js";

/**
 * The exact bytes a device signs (Ed25519) for each authentication step. Every input carries a
 * context label so a signature made for one purpose can never be replayed for another.
 */
export const signingInput = {
  /** Proves possession of the key at registration: `volly/v1/register\n<handle>\n<publicKey>`. */
  register(handle: string, signaturePublicKey: string): Uint8Array {
    return utf8(`volly/v1/register\n${handle}\n${signaturePublicKey}`);
  },
  /** Gateway IDENTIFY / RESUME: `volly/v1/identify\n<nonce from HELLO>`. */
  identify(nonce: string): Uint8Array {
    return utf8(`volly/v1/identify\n${nonce}`);
  },
  /** Device link claim (new device): `volly/v1/link-claim\n<linkId>\n<publicKey>`. */
  linkClaim(linkId: string, signaturePublicKey: string): Uint8Array {
    return utf8(`volly/v1/link-claim\n${linkId}\n${signaturePublicKey}`);
  },
  /** Device link approval (existing device): `volly/v1/link-approve\n<accountId>\n<linkId>\n<publicKey>`. */
  linkApprove(accountId: string, linkId: string, signaturePublicKey: string): Uint8Array {
    return utf8(`volly/v1/link-approve\n${accountId}\n${linkId}\n${signaturePublicKey}`);
  },
  /** REST session: `volly/v1/session\n<nonce from /v1/auth/challenge>`. */
  session(nonce: string): Uint8Array {
    return utf8(`volly/v1/session\n${nonce}`);
  },
  /**
   * Setting up a recovery key (signed by the recovery key, proving possession):
   * `volly/v1/recovery-key\n<accountId>\n<recoveryPublicKey>`.
   */
  recoveryKey(accountId: string, recoveryPublicKey: string): Uint8Array {
    return utf8(`volly/v1/recovery-key\n${accountId}\n${recoveryPublicKey}`);
  },
  /**
   * Restoring an account (signed by the recovery key and by the new device's key):
   * `volly/v1/recover\n<accountId>\n<nonce from /v1/recovery/challenge>\n<new device publicKey>`.
   */
  recover(accountId: string, nonce: string, signaturePublicKey: string): Uint8Array {
    return utf8(`volly/v1/recover\n${accountId}\n${nonce}\n${signaturePublicKey}`);
  },
  /**
   * Moving an account to another server (signed by a device of it):
   * `volly/v1/account-move\n<accountId>\n<deviceId>\n<from user@server>\n<to user@server>\n<at ms>`.
   */
  accountMove(move: {
    accountId: string;
    deviceId: string;
    from: string;
    to: string;
    at: number;
  }): Uint8Array {
    return utf8(
      `volly/v1/account-move\n${move.accountId}\n${move.deviceId}\n${move.from}\n${move.to}\n${move.at}`,
    );
  },
};

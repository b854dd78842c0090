/**
 * The existing device's side of device linking, split into calls the UI can make one after the
 * other: the SDK's `Devices.waitAndApprove` asks its `confirm` callback once a claim checks out,
 * and a callback cannot cross to the UI thread, so the worker keeps the pending question here and
 * the UI answers it with {@link DeviceLinkFlows.answer}.
 */
import type { VollyClient } from "@volly/client";
import { fromBase64Url, toBase64Url, VollyError } from "@volly/protocol";
import type { ApprovedDevice, DeviceLinkClaim, OpenedDeviceLink } from "./rpc-types.js";

/** A promise with its resolve and reject functions. */
interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // whoever asks gets the rejection; an unasked one is not an unhandled rejection
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** One open link: the claim the UI waits for, the user's answer, the SDK's outcome. */
interface Flow {
  claimed: boolean;
  claim: Deferred<DeviceLinkClaim>;
  decision: Deferred<boolean>;
  outcome: Promise<ApprovedDevice | undefined>;
}

/**
 * The SHA-256 fingerprint of an Ed25519 public key, base64url (what @volly/crypto's `fingerprint`
 * computes and the new device shows), by WebCrypto.
 */
async function keyFingerprint(publicKey: string): Promise<string> {
  const bytes = new Uint8Array(fromBase64Url(publicKey));
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** The links this device opened and has not finished with, by link id. */
export class DeviceLinkFlows {
  private readonly flows = new Map<string, Flow>();

  /**
   * Opens a link on the server and starts waiting for its claim in the background (until the code
   * expires). Throws VOLLY_E_SERVER_UNREACHABLE.
   */
  async start(client: VollyClient): Promise<OpenedDeviceLink> {
    const opened = await client.devices.startLink();
    const claim = deferred<DeviceLinkClaim>();
    const decision = deferred<boolean>();
    const outcome = client.devices
      .waitAndApprove(opened.linkId, opened.secret, Math.max(0, opened.expiresAt - Date.now()), {
        confirm: async (c) => {
          const flow = this.flows.get(opened.linkId);
          if (flow) flow.claimed = true;
          claim.resolve({ name: c.name, fingerprint: await keyFingerprint(c.signaturePublicKey) });
          return decision.promise;
        },
      })
      .then(
        (linked): ApprovedDevice => ({
          deviceId: linked.deviceId,
          name: linked.name,
          added: linked.added.length,
          failed: linked.failed.length,
        }),
        (err: unknown) => {
          claim.reject(err);
          if (err instanceof VollyError && err.code === "VOLLY_E_LINK_DECLINED") return undefined;
          throw err;
        },
      )
      .finally(() => this.flows.delete(opened.linkId));
    outcome.catch(() => undefined);
    this.flows.set(opened.linkId, { claimed: false, claim, decision, outcome });
    return { code: opened.code, linkId: opened.linkId, expiresAt: opened.expiresAt };
  }

  /** The claim of link `linkId` once a device made one. Throws VOLLY_E_NOT_FOUND for no open link. */
  async claim(linkId: string): Promise<DeviceLinkClaim> {
    return this.flow(linkId).claim.promise;
  }

  /**
   * Answers the question about link `linkId` and waits for the outcome: the approved device, or
   * undefined once declined. Throws VOLLY_E_NOT_FOUND for no open link, and what approving throws.
   */
  async answer(linkId: string, approve: boolean): Promise<ApprovedDevice | undefined> {
    const flow = this.flow(linkId);
    flow.decision.resolve(approve);
    // declined before any claim: nothing to wait for (a later claim is declined by the SDK)
    if (!approve && !flow.claimed) {
      this.flows.delete(linkId);
      return undefined;
    }
    return flow.outcome;
  }

  private flow(linkId: string): Flow {
    const flow = this.flows.get(linkId);
    if (!flow) throw new VollyError("VOLLY_E_NOT_FOUND", "This device has no open link with that id.");
    return flow;
  }
}

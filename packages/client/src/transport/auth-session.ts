import { sign } from "@volly/crypto";
import { signingInput, toBase64Url } from "@volly/protocol";
import type { HttpApi } from "./http-api.js";

/**
 * Obtains and caches a REST bearer token by signing a server nonce (POST /v1/auth/challenge, then
 * /v1/auth/session). The token lives in memory only; a new process signs a new nonce.
 */
export class AuthSession {
  private token: { value: string; expiresAt: number } | undefined;

  /**
   * @param api REST client
   * @param deviceId this device
   * @param signaturePrivateKey 32-byte Ed25519 seed
   */
  constructor(
    private readonly api: HttpApi,
    private readonly deviceId: string,
    private readonly signaturePrivateKey: Uint8Array,
  ) {}

  /** A valid bearer token, fetching a new one when none is cached or it expires within 60 s. */
  async getToken(): Promise<string> {
    if (this.token && this.token.expiresAt - 60_000 > Date.now()) return this.token.value;
    const { nonce } = await this.api.call("challenge", { body: { deviceId: this.deviceId } });
    const signature = toBase64Url(sign(this.signaturePrivateKey, signingInput.session(nonce)));
    const session = await this.api.call("session", { body: { deviceId: this.deviceId, nonce, signature } });
    this.token = { value: session.token, expiresAt: session.expiresAt };
    return session.token;
  }

  /** Forgets the cached token (after the server said it is no longer valid). */
  invalidate(): void {
    this.token = undefined;
  }
}

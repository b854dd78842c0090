import { type SessionResponse, signingInput, toBase64Url } from "@volly/protocol";

/** What a device signs in with: its id and its Ed25519 signing function (RFC 8032). */
export interface DeviceCredentials {
  /** The device's id. */
  deviceId: string;
  /** Signs bytes with the device's Ed25519 signature key; returns the 64-byte signature. */
  sign(message: Uint8Array): Uint8Array;
  /**
   * An API key of the device's account (`vly_…`), sent with every sign-in: the session gets the key's
   * scopes and ends with its expiry or revocation. Once a device signed in with a key, the server
   * refuses its signature-only sign-ins.
   */
  apiKey?: string;
}

/** The two unauthenticated calls a sign-in makes (given by {@link HttpApi}). */
export interface SignInCalls {
  challenge(deviceId: string): Promise<{ nonce: string }>;
  session(body: {
    deviceId: string;
    nonce: string;
    signature: string;
    apiKey?: string;
  }): Promise<SessionResponse>;
}

/** Tokens are renewed this long before they expire (ms). */
const RENEW_BEFORE_EXPIRY_MS = 60_000;

/**
 * A REST bearer session of one device, obtained by signing a server nonce (POST /v1/auth/challenge,
 * then /v1/auth/session) and cached in memory only (a new process signs a new nonce). Used by
 * {@link HttpApi} alone: nothing else in the SDK handles tokens.
 */
export class AuthSession {
  private token: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  /**
   * @param calls the unauthenticated challenge and session calls
   * @param credentials the device signing in
   */
  constructor(
    private readonly calls: SignInCalls,
    private readonly credentials: DeviceCredentials,
  ) {}

  /**
   * A valid bearer token, signing in when none is cached or it expires within 60 s; concurrent
   * callers share one sign-in. Throws what the challenge or session call throws (e.g.
   * VOLLY_E_SERVER_UNREACHABLE, VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_DEVICE_REVOKED).
   */
  getToken(): Promise<string> {
    if (this.token && this.token.expiresAt - RENEW_BEFORE_EXPIRY_MS > Date.now()) {
      return Promise.resolve(this.token.value);
    }
    this.pending ??= this.signIn().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forgets the cached token (the server said it is no longer valid). */
  invalidate(): void {
    this.token = undefined;
  }

  private async signIn(): Promise<string> {
    const { deviceId } = this.credentials;
    const { nonce } = await this.calls.challenge(deviceId);
    const signature = toBase64Url(this.credentials.sign(signingInput.session(nonce)));
    const { apiKey } = this.credentials;
    const session = await this.calls.session({ deviceId, nonce, signature, ...(apiKey ? { apiKey } : {}) });
    this.token = { value: session.token, expiresAt: session.expiresAt };
    return session.token;
  }
}

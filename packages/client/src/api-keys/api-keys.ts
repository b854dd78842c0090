import { API_KEY_SCOPES } from "@volly/protocol";
import type { HttpApi } from "../transport/http-api.js";
import type { ApiKeys, CreateApiKeyOptions } from "./api-keys-api.js";

/** {@link ApiKeys} over the REST routes of API_KEY_ROUTES. */
export class ApiKeysService implements ApiKeys {
  /** @param api the device's REST client */
  constructor(private readonly api: HttpApi) {}

  create(options: CreateApiKeyOptions) {
    return this.api.call("createApiKey", {
      body: {
        name: options.name,
        scopes: options.scopes ?? [...API_KEY_SCOPES],
        ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
      },
    });
  }

  async list() {
    return (await this.api.call("listApiKeys")).keys;
  }

  revoke(keyId: string) {
    return this.api.call("revokeApiKey", { params: { keyId } });
  }

  rotate(keyId: string, overlapMs: number) {
    return this.api.call("rotateApiKey", { params: { keyId }, body: { overlapMs } });
  }
}

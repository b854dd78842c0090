import { signingInput } from "@volly/protocol";
import type { HttpDevice } from "./app.js";
import { newKeys, registrationBody, signB64, uniqueHandle } from "./identity.js";
import { rememberDevice } from "./mls-groups.js";

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** Registers an account on a listening server over real HTTP and opens a bearer session for its device. */
export async function registerOverFetch(base: string, handle = uniqueHandle()): Promise<HttpDevice> {
  const keys = newKeys();
  const { accountId, deviceId } = (await postJson(`${base}/v1/accounts`, registrationBody(handle, keys))) as {
    accountId: string;
    deviceId: string;
  };
  const { nonce } = (await postJson(`${base}/v1/auth/challenge`, { deviceId })) as { nonce: string };
  const { token } = (await postJson(`${base}/v1/auth/session`, {
    deviceId,
    nonce,
    signature: signB64(keys, signingInput.session(nonce)),
  })) as { token: string };
  rememberDevice({ accountId, deviceId, keys });
  return { accountId, deviceId, handle, keys, token, auth: { authorization: `Bearer ${token}` } };
}

import { DEFAULT_CIPHERSUITE } from "@volly/crypto";
import { type EntityType, newId, signingInput, toBase64Url } from "@volly/protocol";
import type { Bus } from "../../src/bus/bus.js";
import { createInProcessBus } from "../../src/bus/in-process-bus.js";
import type { BusMessage } from "../../src/bus/messages.js";
import { parseBusMessage } from "../../src/bus/parse-bus-message.js";
import { DEFAULT_SERVICE_LIMITS, type ServiceLimits } from "../../src/services/service-limits.js";
import { createServices, type Services } from "../../src/services/services.js";
import type { Store } from "../../src/store/types.js";
import { newKeys, registrationBody, signB64, type TestKeys, uniqueHandle } from "./identity.js";
import { commitBody, createGroupBody, rememberDevice } from "./mls-groups.js";
import { type StoreBackend, sqliteBackend } from "./store-backends.js";

/** A controllable clock (ms). */
export interface TestClock {
  now: () => number;
  advance: (ms: number) => void;
}

/** Services over a real store (a SQLite temp file by default). */
export interface ServiceFixture {
  services: Services;
  store: Store;
  bus: Bus;
  clock: TestClock;
  /** Every bus message published, in order. */
  published: { channel: string; message: BusMessage }[];
  /** Opens the fixture's database again as another store (closed by `close`). */
  reopen: () => Promise<Store>;
  close: () => Promise<void>;
}

/**
 * Opens a fresh store — from `backend` (see `forEachBackend`), else a SQLite file in a temp dir — and
 * builds every service over it with an in-process bus that records what is published and throws on a
 * message its schema (`bus/messages.ts`) rejects.
 *
 * @param limits quotas and claim limits (default DEFAULT_SERVICE_LIMITS)
 */
export async function serviceFixture(
  backend?: StoreBackend,
  limits: ServiceLimits = DEFAULT_SERVICE_LIMITS,
): Promise<ServiceFixture> {
  const opened = await (backend ?? sqliteBackend()).fresh();
  const { store } = opened;
  const inner = createInProcessBus();
  const published: ServiceFixture["published"] = [];
  const bus: Bus = {
    ...inner,
    publish(channel, message) {
      // What the Redis bus would drop must not pass here either: every message matches its schema.
      if (parseBusMessage(JSON.stringify(message)) === undefined) {
        throw new Error(`a service published an invalid ${message.type} bus message`);
      }
      published.push({ channel, message });
      inner.publish(channel, message);
    },
  };
  let time = 1_700_000_000_000;
  const clock: TestClock = { now: () => time, advance: (ms) => (time += ms) };
  const services = createServices({ store, bus, now: clock.now }, DEFAULT_CIPHERSUITE, limits);
  return {
    services,
    store,
    bus,
    clock,
    published,
    reopen: opened.reopen,
    async close() {
      await bus.close();
      await opened.close();
    },
  };
}

/** A registered test device. */
export interface TestDevice {
  accountId: string;
  deviceId: string;
  handle: string;
  /** Always "human" (what `registrationBody` registers). */
  entityType: EntityType;
  keys: TestKeys;
}

/** Registers a new account + device through the account service. */
export async function registerDevice(services: Services, handle = uniqueHandle()): Promise<TestDevice> {
  const keys = newKeys();
  const { accountId, deviceId } = await services.accounts.register(registrationBody(handle, keys));
  const device = { accountId, deviceId, handle, entityType: "human" as const, keys };
  rememberDevice(device);
  return device;
}

/** Runs challenge + session for the device and returns its bearer token. */
export async function login(services: Services, device: TestDevice): Promise<string> {
  const { nonce } = await services.auth.challenge(device.deviceId);
  const { token } = await services.auth.createSession({
    deviceId: device.deviceId,
    nonce,
    signature: signB64(device.keys, signingInput.session(nonce)),
  });
  return token;
}

/** Random base64url bytes standing in for MLS ciphertext the server never reads. */
export function fakeCiphertext(bytes = 48): string {
  const data = new Uint8Array(bytes);
  crypto.getRandomValues(data);
  return toBase64Url(data);
}

/**
 * Creates a real MLS group owned by `owner` (its epoch-0 GroupInfo and tree verified by the group
 * service) and adds `others` in one commit at epoch 0.
 */
export async function groupWith(
  f: { services: Services; store: Store },
  owner: TestDevice,
  others: TestDevice[] = [],
): Promise<string> {
  const groupId = newId();
  await f.services.groups.createGroup(owner.deviceId, await createGroupBody(groupId, owner));
  if (others.length > 0) {
    await f.services.delivery.commit(
      owner.deviceId,
      groupId,
      await commitBody(f.store, groupId, owner, others),
    );
  }
  return groupId;
}

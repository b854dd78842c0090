import { randomBytes } from "node:crypto";
import type { RemoteInfo } from "node:dgram";
import { isIPv4 } from "node:net";
import { networkInterfaces } from "node:os";
import { Type } from "@sinclair/typebox";
import { matches, parse } from "@volly/protocol";
import makeMdns from "multicast-dns";
import { ListenerSet } from "../shared/listeners.js";

/**
 * LAN discovery of a group's devices by multicast DNS (RFC 6762) and DNS-based service discovery
 * (RFC 6763), Node only: each device announces one DNS-SD service instance of type
 * {@link LAN_SERVICE} on every LAN it is on, and browses for the others'. What an announcement
 * says is opaque to everyone else on the LAN: a random instance name per {@link LanDiscovery.start}
 * (16 hex chars; nothing linkable to a person or to the device's previous start), the TCP port of
 * its rendezvous, and the caller's tags (16 hex chars each, e.g. derived from a group's exporter
 * secret, so only members recognise them).
 *
 * Wire format (one packet per announcement or answer, all records together):
 * - PTR `_volly-p2p._tcp.local` → `<instance>._volly-p2p._tcp.local` (RFC 6763 §4.1), TTL 4,500 s;
 * - SRV `<instance>._volly-p2p._tcp.local` → port, target `<instance>.local` (RFC 6763 §5), 120 s;
 * - TXT `<instance>._volly-p2p._tcp.local`: one `t=<tag>` string per tag (RFC 6763 §6), 4,500 s.
 *   The key `t` repeats, which RFC 6763 §6.4 says generic browsers read as its first occurrence
 *   only: a generic browser sees one tag, this class reads them all;
 * - A `<instance>.local` → the IPv4 address of the interface the packet leaves by (RFC 6762 §6.2:
 *   only addresses reachable on that link), 120 s.
 * SRV, TXT and A are unique records and carry the cache-flush bit (RFC 6762 §10.2).
 */

/** The DNS-SD service type announced and browsed (RFC 6763 §7: `_<service>._<proto>.<domain>`). */
export const LAN_SERVICE = "_volly-p2p._tcp.local";

/** At most this many tags per announcement (keeps the TXT record within RFC 6763 §6.2's 1,300 bytes). */
export const LAN_MAX_TAGS = 64;

/** What a peer announced on the LAN, as received in one mDNS response packet. */
export interface LanPeerSighting {
  /** The peer's instance name for this run: 16 lowercase hex chars, new at each of its starts. */
  instance: string;
  /** The IPv4 addresses it gave for the LAN the packet came from (A records; 1–8). */
  addresses: string[];
  /** The TCP port of its rendezvous (1–65535). */
  port: number;
  /** Its tags (16 lowercase hex chars each; 0–64, no duplicates). */
  tags: string[];
}

/** Options of {@link LanDiscovery}. */
export interface LanDiscoveryOptions {
  /** The TCP port announced in the SRV record (1–65535): where the local rendezvous listens. */
  port: number;
  /** The tags to announce (16 lowercase hex chars each, at most {@link LAN_MAX_TAGS}). */
  tags: string[];
  /** Re-announce every this many ms so late joiners and caches see the service (1,000–3,600,000; default 20,000). */
  announceEveryMs?: number;
  /** Query for the service every this many ms (1,000–3,600,000; default 20,000); the interface list is re-read too. */
  queryEveryMs?: number;
  /**
   * The IPv4 addresses of the interfaces to announce and browse on, read at start and at each query
   * (default: every non-internal IPv4 address of `os.networkInterfaces()`). One socket per address.
   */
  interfaces?: () => string[];
}

const HEX16 = "^[0-9a-f]{16}$";
const IPV4_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4_PATTERN = `^${IPV4_OCTET}(\\.${IPV4_OCTET}){3}$`;

/** Tags given by the caller: 0–64 distinct 16-hex-char strings. */
const TagsSchema = Type.Array(Type.String({ pattern: HEX16 }), { maxItems: LAN_MAX_TAGS, uniqueItems: true });

/** A sighting decoded from the network; anything else is dropped. */
const SightingSchema = Type.Object(
  {
    instance: Type.String({ pattern: HEX16 }),
    addresses: Type.Array(Type.String({ pattern: IPV4_PATTERN }), {
      minItems: 1,
      maxItems: 8,
      uniqueItems: true,
    }),
    port: Type.Integer({ minimum: 1, maximum: 65_535 }),
    tags: TagsSchema,
  },
  { additionalProperties: false },
);

const OptionsSchema = Type.Object({
  port: Type.Integer({ minimum: 1, maximum: 65_535 }),
  tags: TagsSchema,
  announceEveryMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 3_600_000 })),
  queryEveryMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 3_600_000 })),
});

/** TTLs (s) of RFC 6762 §10: 120 s for records holding a host name, 75 min for the others. */
const HOST_TTL = 120;
const OTHER_TTL = 4_500;
/** RFC 6762 §6: a record is multicast at most once a second on one interface. */
const MIN_MULTICAST_GAP_MS = 1_000;
/** RFC 6762 §6: answers to a shared-record query wait 20–120 ms (randomised). */
const ANSWER_DELAY_MIN_MS = 20;
const ANSWER_DELAY_SPREAD_MS = 100;
/** Records read from one packet at most; a packet with more is dropped whole. */
const MAX_RECORDS = 256;
/** At most this many interfaces (sockets) are used. */
const MAX_INTERFACES = 16;
/** The same sighting received on several sockets (see {@link LanDiscovery}) is emitted once in this window. */
const DUPLICATE_WINDOW_MS = 500;

const INSTANCE_NAME = /^([0-9a-f]{16})\._volly-p2p\._tcp\.local$/;
const HOST_NAME = /^[0-9a-f]{16}\.local$/;
const TAG_ENTRY = /^t=([0-9a-f]{16})$/;

type Mdns = makeMdns.MulticastDNS;

/** One mDNS socket, bound to 0.0.0.0:5353, member of 224.0.0.251 on one interface and sending by it. */
interface InterfaceSocket {
  /** The interface's IPv4 address. */
  address: string;
  /** Its network as [network address, mask] (32-bit), when `os.networkInterfaces()` knows it. */
  subnet: [number, number] | undefined;
  mdns: Mdns;
  /** When this socket last multicast our records (ms since epoch; 0: never). */
  lastSentAt: number;
  /** The pending send of our records, if any. */
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Announces this device on the LAN and reports the peers that announce themselves (see the module
 * comment above for the records). Node only (UDP sockets).
 *
 * Multi-homed hosts: one `multicast-dns` socket per IPv4 interface, each bound to 0.0.0.0:5353
 * (SO_REUSEADDR), joined to 224.0.0.251 on its interface and sending through it (IP_MULTICAST_IF),
 * so each LAN gets the A record of the interface on it. Linux delivers a group's datagrams to every
 * socket bound to the port (IP_MULTICAST_ALL), whichever interface joined, so a packet may reach
 * several of these sockets: queries are answered only by the socket whose subnet holds the sender
 * (when the subnet is known), and identical sightings within 500 ms are emitted once.
 *
 * No probing (RFC 6762 §8.1): the instance name is 64 random bits per start, so a conflict is
 * negligible. Announcements: two at start one second apart (RFC 6762 §8.3), again on
 * {@link setTags}, then every `announceEveryMs`; a goodbye (TTL 0, RFC 6762 §10.1) at stop.
 *
 * Received packets are validated field by field (names, SRV port, TXT tags, A addresses, record
 * counts) and dropped whole when anything is off; nothing a packet holds can throw out of a socket
 * handler.
 */
export class LanDiscovery {
  /** A peer's announcement or answer (one event per packet and LAN; the same peer recurs). */
  readonly seen = new ListenerSet<LanPeerSighting>();
  /** A peer said goodbye (RFC 6762 §10.1: its records with TTL 0), e.g. at its stop. */
  readonly gone = new ListenerSet<{ instance: string }>();

  private readonly port: number;
  private tags: string[];
  private readonly announceEveryMs: number;
  private readonly queryEveryMs: number;
  private readonly interfaces: () => string[];
  private instance = "";
  private readonly sockets = new Map<string, InterfaceSocket>();
  private readonly recent = new Map<string, number>();
  private announceTimer: ReturnType<typeof setInterval> | undefined;
  private queryTimer: ReturnType<typeof setInterval> | undefined;
  private running = false;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  /**
   * @param options what to announce and how often; see {@link LanDiscoveryOptions}
   * @throws VollyError VOLLY_E_BAD_REQUEST when the port, a tag or an interval is invalid
   */
  constructor(options: LanDiscoveryOptions) {
    const { interfaces, ...rest } = options;
    const valid = parse(OptionsSchema, rest);
    this.port = valid.port;
    this.tags = [...valid.tags];
    this.announceEveryMs = valid.announceEveryMs ?? 20_000;
    this.queryEveryMs = valid.queryEveryMs ?? 20_000;
    this.interfaces = interfaces ?? defaultInterfaces;
  }

  /** This run's instance name (16 hex chars), or "" when not started. */
  get instanceName(): string {
    return this.running ? this.instance : "";
  }

  /**
   * Opens the sockets, announces twice (now and a second later) and queries. Resolves once every
   * socket that could be bound is listening; an interface whose socket fails is left out (and
   * retried at the next query). Calling it while started does nothing.
   *
   * @throws Error when no socket could be bound although interfaces were listed (e.g. EACCES)
   */
  async start(): Promise<void> {
    if (this.stopping) await this.stopping;
    if (this.running) return;
    if (this.starting) return this.starting;
    this.starting = (async () => {
      this.instance = randomBytes(8).toString("hex");
      this.running = true;
      const failures = await this.syncSockets();
      if (this.sockets.size === 0 && failures.length > 0) {
        this.running = false;
        throw failures[0];
      }
      this.announceTimer = setInterval(() => this.announceAll(0), this.announceEveryMs);
      this.queryTimer = setInterval(() => {
        void this.syncSockets().then(() => this.queryAll());
      }, this.queryEveryMs);
      this.announceTimer.unref();
      this.queryTimer.unref();
      this.announceAll(0);
      this.queryAll();
      const again = setTimeout(() => {
        if (this.running) this.announceAll(0);
      }, MIN_MULTICAST_GAP_MS);
      again.unref();
    })().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /**
   * Replaces the announced tags and announces them (at once, or a second after the previous
   * announcement on that interface, RFC 6762 §6).
   *
   * @param tags 0–64 distinct strings of 16 lowercase hex chars
   * @throws VollyError VOLLY_E_BAD_REQUEST for an invalid list (the previous tags stay)
   */
  setTags(tags: string[]): void {
    this.tags = [...parse(TagsSchema, tags)];
    if (this.running) this.announceAll(0);
  }

  /**
   * Says goodbye on every interface (TTL 0 records, waiting at most 500 ms), closes the sockets and
   * stops the timers. Idempotent; `start()` may be called again afterwards (new instance name).
   */
  async stop(): Promise<void> {
    if (this.starting) await this.starting.catch(() => {});
    if (this.stopping) return this.stopping;
    if (!this.running) return;
    this.stopping = (async () => {
      this.running = false;
      clearInterval(this.announceTimer);
      clearInterval(this.queryTimer);
      const sockets = [...this.sockets.values()];
      this.sockets.clear();
      await Promise.all(
        sockets.map(async (s) => {
          clearTimeout(s.timer);
          await withTimeout(
            new Promise<void>((resolve) => s.mdns.respond(this.records(s.address, 0), () => resolve())),
            500,
          );
          await closeSocket(s);
        }),
      );
      this.recent.clear();
    })().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  /** Opens sockets for new interface addresses and closes those of vanished ones; returns bind errors. */
  private async syncSockets(): Promise<unknown[]> {
    if (!this.running) return [];
    let wanted: string[];
    try {
      wanted = [...new Set(this.interfaces().filter((a) => typeof a === "string" && isIPv4(a)))].slice(
        0,
        MAX_INTERFACES,
      );
    } catch {
      wanted = [];
    }
    for (const [address, s] of this.sockets) {
      if (!wanted.includes(address)) {
        this.sockets.delete(address);
        clearTimeout(s.timer);
        void closeSocket(s);
      }
    }
    const failures: unknown[] = [];
    await Promise.all(
      wanted
        .filter((address) => !this.sockets.has(address))
        .map(async (address) => {
          try {
            const s = await this.openSocket(address);
            if (this.running && !this.sockets.has(address)) {
              this.sockets.set(address, s);
              this.scheduleSend(s, 0);
            } else await closeSocket(s);
          } catch (err) {
            failures.push(err);
          }
        }),
    );
    return failures;
  }

  private async openSocket(address: string): Promise<InterfaceSocket> {
    const mdns = makeMdns({ interface: address, bind: "0.0.0.0", reuseAddr: true, loopback: true });
    const s: InterfaceSocket = { address, subnet: subnetOf(address), mdns, lastSentAt: 0, timer: undefined };
    await new Promise<void>((resolve, reject) => {
      mdns.once("ready", () => resolve());
      mdns.once("error", (err: unknown) => {
        mdns.destroy();
        reject(err);
      });
    });
    // After binding: errors of a live socket (ENETUNREACH when the link went down, …) are not fatal;
    // the socket stays and recovers when the link comes back, or is closed when the address goes.
    mdns.on("error", () => {});
    mdns.on("warning", () => {});
    mdns.on("query", (packet: unknown, rinfo: RemoteInfo) => {
      try {
        this.onQuery(s, packet, rinfo);
      } catch {
        // a malformed packet must not break the socket
      }
    });
    mdns.on("response", (packet: unknown) => {
      try {
        this.onResponse(packet);
      } catch {
        // idem
      }
    });
    return s;
  }

  /** Answers a query that asks for the service, our instance or our host name (RFC 6762 §6). */
  private onQuery(s: InterfaceSocket, packet: unknown, rinfo: RemoteInfo): void {
    if (!this.running || !isObject(packet) || !Array.isArray(packet.questions)) return;
    if (packet.questions.length > MAX_RECORDS) return;
    if (s.subnet && !(isIPv4(rinfo.address) && inSubnet(rinfo.address, s.subnet))) return;
    const ours = new Set([LAN_SERVICE, `${this.instance}.${LAN_SERVICE}`, `${this.instance}.local`]);
    const asked = packet.questions.some(
      (q: unknown) => isObject(q) && typeof q.name === "string" && ours.has(q.name.toLowerCase()),
    );
    if (asked) this.scheduleSend(s, ANSWER_DELAY_MIN_MS + Math.floor(Math.random() * ANSWER_DELAY_SPREAD_MS));
  }

  /** Emits the sightings (and goodbyes) of a response packet; drops it whole when malformed. */
  private onResponse(packet: unknown): void {
    if (!this.running) return;
    const { sightings, goodbyes } = decodeResponse(packet);
    for (const instance of goodbyes) if (instance !== this.instance) this.gone.emit({ instance });
    const now = Date.now();
    for (const sighting of sightings) {
      if (sighting.instance === this.instance) continue;
      const key = JSON.stringify(sighting);
      const last = this.recent.get(key);
      if (last !== undefined && now - last < DUPLICATE_WINDOW_MS) continue;
      this.recent.set(key, now);
      if (this.recent.size > 1_024) {
        for (const [k, at] of this.recent) if (now - at >= DUPLICATE_WINDOW_MS) this.recent.delete(k);
      }
      this.seen.emit(sighting);
    }
  }

  private announceAll(delayMs: number): void {
    for (const s of this.sockets.values()) this.scheduleSend(s, delayMs);
  }

  private queryAll(): void {
    if (!this.running) return;
    for (const s of this.sockets.values()) {
      s.mdns.query({ questions: [{ name: LAN_SERVICE, type: "PTR" }] }, () => {});
    }
  }

  /** Multicasts our records on `s` after `delayMs`, but not within a second of the previous time. */
  private scheduleSend(s: InterfaceSocket, delayMs: number): void {
    if (s.timer !== undefined) return; // one send pending already carries the current records
    const at = Math.max(Date.now() + delayMs, s.lastSentAt + MIN_MULTICAST_GAP_MS);
    s.timer = setTimeout(
      () => {
        s.timer = undefined;
        if (!this.running || this.sockets.get(s.address) !== s) return;
        s.lastSentAt = Date.now();
        s.mdns.respond(this.records(s.address, 1), () => {});
      },
      Math.max(0, at - Date.now()),
    );
    s.timer.unref();
  }

  /** Our records for the interface `address`; `ttlFactor` 0 makes a goodbye (RFC 6762 §10.1). */
  private records(
    address: string,
    ttlFactor: 0 | 1,
  ): { answers: makeMdns.ResponseOutgoingPacket["answers"] } {
    const full = `${this.instance}.${LAN_SERVICE}`;
    const host = `${this.instance}.local`;
    const txt = this.tags.length > 0 ? this.tags.map((t) => `t=${t}`) : [Buffer.alloc(0)]; // RFC 6763 §6.1
    return {
      answers: [
        { name: LAN_SERVICE, type: "PTR", ttl: OTHER_TTL * ttlFactor, data: full },
        {
          name: full,
          type: "SRV",
          ttl: HOST_TTL * ttlFactor,
          flush: true,
          data: { priority: 0, weight: 0, port: this.port, target: host },
        },
        { name: full, type: "TXT", ttl: OTHER_TTL * ttlFactor, flush: true, data: txt },
        { name: host, type: "A", ttl: HOST_TTL * ttlFactor, flush: true, data: address },
      ],
    };
  }
}

/**
 * Reads the sightings of one decoded mDNS response (records from its answer and additional
 * sections): for each SRV record of an instance of {@link LAN_SERVICE}, the TXT record of that
 * instance and the A records of the SRV target. A packet with a malformed field anywhere in a
 * record of ours (or more than 256 records) gives nothing; records of other services are ignored.
 * Exported for tests.
 *
 * @param packet a decoded packet as `multicast-dns` gives it (any shape: it is checked)
 * @returns the valid sightings, and the instances whose SRV record has TTL 0 (goodbyes)
 */
export function decodeResponse(packet: unknown): { sightings: LanPeerSighting[]; goodbyes: string[] } {
  const none = { sightings: [], goodbyes: [] };
  if (!isObject(packet)) return none;
  const answers = packet.answers ?? [];
  const additionals = packet.additionals ?? [];
  if (!Array.isArray(answers) || !Array.isArray(additionals)) return none;
  if (answers.length + additionals.length > MAX_RECORDS) return none;
  const records = [...answers, ...additionals].filter(isObject);
  const named = (name: string, type: string) =>
    records.filter((r) => r.type === type && typeof r.name === "string" && r.name.toLowerCase() === name);
  const sightings: LanPeerSighting[] = [];
  const goodbyes: string[] = [];
  for (const srv of records) {
    if (srv.type !== "SRV" || typeof srv.name !== "string") continue;
    const fullName = srv.name.toLowerCase();
    const instance = INSTANCE_NAME.exec(fullName)?.[1];
    if (instance === undefined) continue;
    if (srv.ttl === 0) {
      goodbyes.push(instance);
      continue;
    }
    const data = srv.data;
    if (!isObject(data) || typeof data.target !== "string") return none;
    const target = data.target.toLowerCase();
    if (!HOST_NAME.test(target)) return none;
    const txts = named(fullName, "TXT");
    if (txts.length !== 1) return none;
    const tags = decodeTags(txts[0]?.data);
    if (tags === undefined) return none;
    const addresses: unknown[] = named(target, "A").map((a) => a.data);
    if (!addresses.every((a) => typeof a === "string" && isUsableIPv4(a))) return none;
    const candidate = { instance, addresses: [...new Set(addresses)], port: data.port, tags };
    if (!matches(SightingSchema, candidate)) return none;
    sightings.push(candidate);
  }
  return { sightings, goodbyes };
}

/** The tags of a TXT record's strings (`t=<tag>` each; an empty string alone means none), or undefined. */
function decodeTags(data: unknown): string[] | undefined {
  const strings = Array.isArray(data) ? data : [data];
  if (strings.length > LAN_MAX_TAGS) return undefined;
  const tags: string[] = [];
  for (const s of strings) {
    if (!Buffer.isBuffer(s) && typeof s !== "string") return undefined;
    const text = Buffer.isBuffer(s) ? s.toString("latin1") : s;
    if (text === "" && strings.length === 1) return [];
    const tag = TAG_ENTRY.exec(text)?.[1];
    if (tag === undefined) return undefined;
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** A unicast IPv4 address a peer could be reached at (not 0/8, 127/8, multicast or broadcast). */
function isUsableIPv4(address: string): boolean {
  if (!isIPv4(address)) return false;
  const first = Number(address.split(".")[0]);
  return first !== 0 && first !== 127 && first < 224;
}

/** The non-internal IPv4 addresses of this host's interfaces (`os.networkInterfaces()`). */
function defaultInterfaces(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((i) => i.family === "IPv4" && !i.internal)
    .map((i) => i.address);
}

/** The [network, mask] of the interface holding `address`, from `os.networkInterfaces()`. */
function subnetOf(address: string): [number, number] | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      if (i.family === "IPv4" && i.address === address && isIPv4(i.netmask)) {
        const mask = ipv4ToInt(i.netmask);
        return [(ipv4ToInt(address) & mask) >>> 0, mask];
      }
    }
  }
  return undefined;
}

function inSubnet(address: string, [network, mask]: [number, number]): boolean {
  return (ipv4ToInt(address) & mask) >>> 0 === network;
}

function ipv4ToInt(address: string): number {
  return address.split(".").reduce((n, octet) => ((n << 8) | Number(octet)) >>> 0, 0);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function closeSocket(s: InterfaceSocket): Promise<void> {
  return withTimeout(new Promise<void>((resolve) => s.mdns.destroy(() => resolve())), 1_000);
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

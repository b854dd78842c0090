/**
 * Real networks for tests, built from Linux network namespaces (needs root and iproute2's `ip`).
 *
 * Topology: a {@link Lan} is a Linux bridge `br0` alone in its own namespace (the "switch"); a
 * {@link Host} is a namespace with `lo` up, joined to one or more LANs by veth pairs (`eth0`,
 * `eth1`, … on the host's side, with a given IPv4/24 each). Links are multicast-capable, each host
 * has a route for 224.0.0.0/4 through its first link (multicast sockets that set no interface use
 * it), and the bridges flood link-local multicast (224.0.0.0/24, e.g. mDNS 224.0.0.251:5353) to all
 * ports. There is no routing between LANs: two hosts see each other only when they share a LAN.
 *
 * Every namespace name starts with this run's prefix `vl<pid>-` so that runs on one machine do not
 * collide (namespace names are not limited to 15 chars; interface names are, and stay short:
 * `br0`, `eth<i>`, `vp<n>`). {@link NetLab.cleanup} deletes them all, and runs at process exit
 * too; a new lab first sweeps stale namespaces: those with its own prefix and those `vl<pid>-…` whose
 * process is gone (a run killed before its cleanup). Every `ip` call is bounded (5 s).
 *
 * Cleanup: call {@link NetLab.cleanup} in `afterAll`.
 *
 * @example
 * const lab = await NetLab.create();
 * const lan = await lab.lan("lan1");
 * const a = await lab.host("a", [[lan, "10.71.1.1"]]);
 * const child = lab.spawnIn(a, process.execPath, ["probe.mjs"]);
 * await lab.cut(a, lan); await lab.restore(a, lan);
 * await lab.cleanup();
 */
import { type ChildProcess, execFile, execFileSync, type SpawnOptions, spawn } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Bound of one `ip` call (ms). */
const IP_TIMEOUT_MS = 5_000;

/** A LAN: a bridge `br0` in namespace `ns`. */
export interface Lan {
  /** Its short name, as given to {@link NetLab.lan}. */
  name: string;
  /** Its namespace (the prefix plus the name). */
  ns: string;
}

/** A host's link to one LAN. */
export interface HostLink {
  lan: Lan;
  /** The interface name in the host's namespace (`eth0`, `eth1`, …). */
  ifname: string;
  /** The bridge port's name in the LAN's namespace (≤ 15 chars). */
  port: string;
  /** The host's IPv4 address on that LAN (prefix length 24). */
  address: string;
}

/** A host: a namespace with its links. */
export interface Host {
  /** Its short name, as given to {@link NetLab.host}. */
  name: string;
  /** Its namespace. */
  ns: string;
  links: HostLink[];
}

/**
 * Runs `ip` with `args`, bounded by 5 s.
 *
 * @throws Error with the command and its stderr when it fails or times out
 */
export async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("ip", args, { timeout: IP_TIMEOUT_MS, killSignal: "SIGKILL" });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/**
 * Why network namespaces cannot be used here, or undefined when they can (root, `ip netns`
 * works: a scratch namespace is created and deleted).
 */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.platform !== "linux") return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "network namespaces need root";
  const probe = `vl${process.pid}-probe`;
  try {
    await ip("netns", "add", probe);
    await ip("netns", "del", probe);
    return undefined;
  } catch (err) {
    return `ip netns does not work: ${(err as Error).message}`;
  }
}

/** A set of namespaces, bridges and links made for one test file; see the module comment. */
export class NetLab {
  /** This lab's namespace name prefix, `vl<pid>-`. */
  readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private portCount = 0;
  private readonly onExit = () => this.cleanupSync();

  private constructor(prefix: string) {
    this.prefix = prefix;
  }

  /**
   * A new lab: sweeps the namespaces left with this run's prefix and registers cleanup at exit.
   *
   * @param prefix namespace prefix (default `vl<pid>-`)
   */
  static async create(prefix = `vl${process.pid}-`): Promise<NetLab> {
    const lab = new NetLab(prefix);
    await lab.sweep();
    process.once("exit", lab.onExit);
    return lab;
  }

  /** Creates a LAN: namespace `<prefix><name>` holding bridge `br0` (up, multicast snooping off). */
  async lan(name: string): Promise<Lan> {
    const ns = await this.namespace(name);
    await ip("-n", ns, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0");
    await ip("-n", ns, "link", "set", "br0", "up");
    return { name, ns };
  }

  /**
   * Creates a host namespace `<prefix><name>` joined to each LAN by a veth pair with the given
   * address (/24): interface `eth<i>` for the i-th link. Multicast route 224.0.0.0/4 via `eth0`.
   *
   * @param links pairs of LAN and IPv4 address (e.g. `[[lan1, "10.71.1.1"]]`); may be empty
   */
  async host(name: string, links: Array<[Lan, string]>): Promise<Host> {
    const ns = await this.namespace(name);
    const host: Host = { name, ns, links: [] };
    for (const [lan, address] of links) await this.connect(host, lan, address);
    return host;
  }

  /** Joins `host` to `lan` with `address`/24 on a new interface `eth<n>` (n: its link count). */
  async connect(host: Host, lan: Lan, address: string): Promise<HostLink> {
    const ifname = `eth${host.links.length}`;
    const port = `vp${this.portCount++}`;
    await ip("-n", lan.ns, "link", "add", port, "type", "veth", "peer", "name", ifname, "netns", host.ns);
    await ip("-n", lan.ns, "link", "set", port, "master", "br0", "multicast", "on", "up");
    await ip("-n", host.ns, "addr", "add", `${address}/24`, "dev", ifname);
    await ip("-n", host.ns, "link", "set", ifname, "multicast", "on", "up");
    if (host.links.length === 0) await ip("-n", host.ns, "route", "add", "224.0.0.0/4", "dev", ifname);
    const link: HostLink = { lan, ifname, port, address };
    host.links.push(link);
    return link;
  }

  /** Takes `host`'s link to `lan` down (the bridge port: the host's interface keeps its address). */
  async cut(host: Host, lan: Lan): Promise<void> {
    await ip("-n", lan.ns, "link", "set", this.link(host, lan).port, "down");
  }

  /** Brings back a link taken down by {@link cut}. */
  async restore(host: Host, lan: Lan): Promise<void> {
    await ip("-n", lan.ns, "link", "set", this.link(host, lan).port, "up");
  }

  /**
   * Starts `cmd args` inside `host`'s namespace (`ip netns exec`). The child is killed (SIGKILL) at
   * {@link cleanup} if still running.
   *
   * @param opts spawn options (default stdio: pipes)
   */
  spawnIn(host: Host | Lan, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn("ip", ["netns", "exec", host.ns, cmd, ...args], { stdio: "pipe", ...opts });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** Kills the children still running and deletes every namespace made (hence links and bridges). */
  async cleanup(): Promise<void> {
    process.off("exit", this.onExit);
    for (const child of this.children) child.kill("SIGKILL");
    this.children.clear();
    for (const ns of this.namespaces.splice(0)) await ip("netns", "del", ns).catch(() => {});
    await this.sweep();
  }

  private link(host: Host, lan: Lan): HostLink {
    const link = host.links.find((l) => l.lan.ns === lan.ns);
    if (!link) throw new Error(`${host.name} is not on ${lan.name}`);
    return link;
  }

  private async namespace(name: string): Promise<string> {
    const ns = `${this.prefix}${name}`;
    await ip("netns", "add", ns);
    this.namespaces.push(ns);
    await ip("-n", ns, "link", "set", "lo", "up");
    return ns;
  }

  /** Deletes namespaces with this lab's prefix, and those of `vl<pid>-` runs whose process is gone. */
  private async sweep(): Promise<void> {
    const list = await ip("netns", "list").catch(() => "");
    const stale = list
      .split("\n")
      .map((line) => line.split(" ")[0] ?? "")
      .filter((ns) => {
        if (ns.startsWith(this.prefix)) return true;
        const pid = /^vl(\d+)-/.exec(ns)?.[1];
        return pid !== undefined && !processAlive(Number(pid));
      });
    for (const ns of stale) await ip("netns", "del", ns).catch(() => {});
  }

  /** At process exit (handlers there must be synchronous): kill children, delete namespaces. */
  private cleanupSync(): void {
    for (const child of this.children) child.kill("SIGKILL");
    for (const ns of this.namespaces.splice(0)) {
      try {
        execFileSync("ip", ["netns", "del", ns], { timeout: IP_TIMEOUT_MS });
      } catch {
        // best effort
      }
    }
  }
}

/** True when a process with this pid exists (signal 0: EPERM still means it exists). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Network namespaces for benchmarks (Linux, root, iproute2's `ip`): a small JavaScript twin of
 * test/p2p/helpers/netns.ts. A LAN is a bridge `br0` (multicast snooping off, so mDNS floods) alone
 * in its own namespace; a host is a namespace joined to a LAN by a veth pair (`eth0` on the host's
 * side, with an IPv4/24 and a 224.0.0.0/4 route through it).
 *
 * Every namespace name starts with `vb<pid>-`; {@link NetLab.cleanup} deletes them and kills the
 * children started in them, and runs at process exit and on SIGINT/SIGTERM too. A new lab first
 * deletes `vb<pid>-…` namespaces whose process is gone (a run killed before its cleanup). Every
 * `ip` call is bounded (5 s).
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const IP_TIMEOUT_MS = 5_000;

/**
 * Runs `ip …args` (bounded by 5 s); resolves with its stdout.
 * @throws Error naming the command and its stderr
 */
export async function ip(...args) {
  try {
    const { stdout } = await run("ip", args, { timeout: IP_TIMEOUT_MS, killSignal: "SIGKILL" });
    return stdout;
  } catch (err) {
    throw new Error(`ip ${args.join(" ")} failed: ${err.stderr?.trim() || err.message}`, { cause: err });
  }
}

/** Why network namespaces cannot be used here, or undefined when they can (a probe is made and deleted). */
export async function netnsUnavailable() {
  if (process.platform !== "linux") return `needs Linux for network namespaces (this is ${process.platform})`;
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    return "needs root for network namespaces";
  const probe = `vb${process.pid}-probe`;
  try {
    await ip("netns", "add", probe);
    await ip("netns", "del", probe);
    return undefined;
  } catch (err) {
    return `ip netns does not work: ${err.message}`;
  }
}

/** Namespaces, bridges and links of one benchmark run; see the module comment. */
export class NetLab {
  constructor(prefix) {
    /** Namespace name prefix, `vb<pid>-`. */
    this.prefix = prefix;
    this.namespaces = [];
    this.children = new Set();
    this.ports = 0;
    this.onExit = () => this.cleanupSync();
    this.onSignal = () => process.exit(130);
  }

  /** A new lab: sweeps stale namespaces and registers cleanup at exit and on SIGINT/SIGTERM. */
  static async create(prefix = `vb${process.pid}-`) {
    const lab = new NetLab(prefix);
    await lab.sweep();
    process.once("exit", lab.onExit);
    process.once("SIGINT", lab.onSignal);
    process.once("SIGTERM", lab.onSignal);
    return lab;
  }

  /** A LAN: namespace `<prefix><name>` holding bridge `br0`. Resolves with `{name, ns}`. */
  async lan(name) {
    const ns = await this.namespace(name);
    await ip("-n", ns, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0");
    await ip("-n", ns, "link", "set", "br0", "up");
    return { name, ns };
  }

  /**
   * A host namespace `<prefix><name>` on `lan` with `address`/24 on `eth0`.
   * @returns {{name, ns, address}}
   */
  async host(name, lan, address) {
    const ns = await this.namespace(name);
    const port = `vp${this.ports++}`;
    await ip("-n", lan.ns, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
    await ip("-n", lan.ns, "link", "set", port, "master", "br0", "multicast", "on", "up");
    await ip("-n", ns, "addr", "add", `${address}/24`, "dev", "eth0");
    await ip("-n", ns, "link", "set", "eth0", "multicast", "on", "up");
    await ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0");
    return { name, ns, address };
  }

  /** Starts `cmd args` in `host`'s namespace (`ip netns exec`); killed at cleanup if still running. */
  spawnIn(host, cmd, args, opts = {}) {
    const child = spawn("ip", ["netns", "exec", host.ns, cmd, ...args], { stdio: "pipe", ...opts });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** Kills the children still running and deletes every namespace made. */
  async cleanup() {
    process.off("exit", this.onExit);
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
    for (const child of this.children) child.kill("SIGKILL");
    this.children.clear();
    for (const ns of this.namespaces.splice(0)) await ip("netns", "del", ns).catch(() => {});
    await this.sweep();
  }

  async namespace(name) {
    const ns = `${this.prefix}${name}`;
    await ip("netns", "add", ns);
    this.namespaces.push(ns);
    await ip("-n", ns, "link", "set", "lo", "up");
    return ns;
  }

  /** Deletes namespaces with this lab's prefix, and `vb<pid>-…` ones whose process is gone. */
  async sweep() {
    const list = await ip("netns", "list").catch(() => "");
    const stale = list
      .split("\n")
      .map((line) => line.split(" ")[0] ?? "")
      .filter((ns) => {
        if (ns.startsWith(this.prefix)) return true;
        const pid = /^vb(\d+)-/.exec(ns)?.[1];
        return pid !== undefined && !processAlive(Number(pid));
      });
    for (const ns of stale) await ip("netns", "del", ns).catch(() => {});
  }

  /** At process exit (synchronous only): kill children, delete namespaces. */
  cleanupSync() {
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

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

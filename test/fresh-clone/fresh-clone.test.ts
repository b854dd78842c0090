import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * What a newcomer does, on the committed HEAD: clone the repository, `npm install`, then follow the
 * README — `npx volly --help`, `npm start -- --port …`, and "Two people, two terminals" (init, invite,
 * accept, send, receive) with the README's command lines, only the server's port changed.
 *
 * Run by `.ci/run` (`npm run test:fresh-clone`), not by `npm test`: it checks the commit rather than
 * the working tree, and `npm install` needs the npm registry (or a warm npm cache: it installs with
 * `--prefer-offline`).
 *
 * One deviation from a newcomer's machine: better-sqlite3's install script downloads a prebuilt
 * binary from GitHub, which this network cannot reach, and then compiles SQLite from source (2–3 min
 * on 2 cores). So the binary this repository's own install produced is offered to it as a local
 * prebuild (`.prebuild-installrc` above the clone) — what the download would have given.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const COMMAND_TIMEOUT_MS = 120_000;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a newcomer's shell: no npm script variables, no outer node_modules/.bin on PATH, no VOLLY_*. */
function newcomerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^(npm_|volly_)/i.test(key) ||
      key === "INIT_CWD" ||
      key === "NODE_OPTIONS" ||
      key.startsWith("VITEST")
    )
      continue;
    env[key] = value;
  }
  // `npm test` puts this repository's node_modules/.bin on PATH: npx would find its `volly` there.
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((p) => !p.includes("node_modules"))
    .join(delimiter);
  return env;
}

/** Runs `command args` in `cwd` (no shell) and collects its output. */
function run(command: string, args: string[], cwd: string, timeoutMs = COMMAND_TIMEOUT_MS): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env: newcomerEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(
        new Error(`${command} ${args.join(" ")} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.once("error", fail);
    child.once("exit", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Splits a README command line the way sh would (single quotes only, as the README writes them). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/**
 * Offers better-sqlite3 the binary of this repository's install as a local prebuild for `dir`'s
 * subtree (see the file's comment). Returns false when there is none (the clone then compiles it).
 */
function offerSqlitePrebuild(dir: string): boolean {
  const pkg = join(ROOT, "node_modules/better-sqlite3");
  if (!existsSync(join(pkg, "build/Release/better_sqlite3.node"))) return false;
  const { version } = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { version: string };
  const prebuilds = join(dir, "prebuilds");
  mkdirSync(prebuilds);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync("tar", ["czf", join(prebuilds, name), "-C", pkg, "build/Release/better_sqlite3.node"]);
  writeFileSync(join(dir, ".prebuild-installrc"), `local-prebuilds=${prebuilds}\n`);
  return true;
}

describe("a fresh clone, as the README tells a newcomer", () => {
  const home = mkdtempSync(join(tmpdir(), "volly-fresh-clone-"));
  const clone = join(home, "volly");
  let server: ChildProcess | undefined;
  let serverExited: Promise<number | null> | undefined;
  let port = 0;

  beforeAll(() => {
    execFileSync("git", ["clone", "--quiet", ROOT, clone]);
    const commit = execFileSync("git", ["-C", clone, "rev-parse", "--short", "HEAD"], { encoding: "utf8" });
    process.stdout.write(`fresh clone of ${commit.trim()} in ${clone}\n`);
    offerSqlitePrebuild(home);
  });

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, "SIGTERM");
    await serverExited;
    rmSync(home, { recursive: true, force: true });
  });

  it(
    "npm install succeeds without a warning (no EBADENGINE) and links node_modules/.bin/volly",
    async () => {
      const install = await run(
        "npm",
        ["install", "--prefer-offline", "--no-audit", "--no-fund"],
        clone,
        INSTALL_TIMEOUT_MS,
      );
      const output = `${install.stdout}\n${install.stderr}`;
      expect(install.code, output).toBe(0);
      expect(output.split("\n").filter((l) => /^npm warn/i.test(l))).toEqual([]);
      expect(existsSync(join(clone, "node_modules/.bin/volly"))).toBe(true);
      expect(existsSync(join(clone, "packages/cli/dist/bin.js"))).toBe(true);
      expect(existsSync(join(clone, "packages/web/dist/index.html"))).toBe(true);
    },
    INSTALL_TIMEOUT_MS,
  );

  it("npx volly --help lists the commands", async () => {
    const help = await run("npx", ["volly", "--help"], clone);
    expect(help.stderr).toBe("");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: volly /);
    for (const command of ["init", "invite", "accept", "send", "receive", "serve"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
  });

  it("npm start -- --port 0 runs a server that answers /healthz and the web app", async () => {
    expect(README).toContain("`npm start -- --port 8080`");
    const child = spawn("npm", ["start", "--", "--port", "0", "--data", join(home, "volly-data")], {
      cwd: clone,
      env: newcomerEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: npm, sh and node stop together
    });
    server = child;
    serverExited = new Promise((r) => child.once("exit", (code) => r(code)));
    let out = "";
    const url = await new Promise<string>((found, fail) => {
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
        if (m?.[1]) found(m[1]);
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code) => fail(new Error(`npm start exited with ${code}:\n${out}`)));
    });
    port = Number(new URL(url).port);
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toMatchObject({ status: "ok" });
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"');
  });

  it("two people, two terminals: the README's commands, as written, deliver 'hello'", async () => {
    expect(port).toBeGreaterThan(0);
    const readme = (line: string) => {
      expect(README, "the README no longer shows this command").toContain(line);
      return words(line.replace("http://localhost:7777", `http://localhost:${port}`));
    };
    const volly = async (line: string) => {
      const [npx, ...args] = readme(line);
      const result = await run(npx!, args, clone);
      expect(result.code, `${line}\n${result.stdout}\n${result.stderr}`).toBe(0);
      return result;
    };

    await volly(
      "npx volly --profile ./alice init --server http://localhost:7777 --handle alice --pin 123456",
    );
    await volly(
      "npx volly --profile ./bob   init --server http://localhost:7777 --handle bob   --pin 654321",
    );
    const invite = await volly("npx volly --profile ./alice --pin 123456 invite");
    const link = invite.stdout.trim();
    expect(link).toMatch(/^volly:\/\/invite\/\S+$/);
    expect(README).toContain("npx volly --profile ./bob   --pin 654321 accept '<that link>'");
    const accept = await run("npx", [...words("volly --profile ./bob --pin 654321 accept"), link], clone);
    expect(accept.code, accept.stderr).toBe(0);
    await volly("npx volly --profile ./bob   --pin 654321 send @alice 'hello'");
    const received = await volly("npx volly --profile ./alice --pin 123456 --json receive");
    const messages = received.stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(messages).toEqual([expect.objectContaining({ from: "bob", text: "hello" })]);
  });
});

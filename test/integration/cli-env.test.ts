import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * The profile directory from VOLLY_PROFILE and the PIN from VOLLY_PIN, with no --profile or --pin,
 * against a real `volly serve` process; the flags win over the variables.
 */
describe("VOLLY_PROFILE and VOLLY_PIN configure the CLI", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-env-");
  const erin = { VOLLY_PROFILE: join(home, "erin"), VOLLY_PIN: "246810" };
  const frank = ["--profile", join(home, "frank"), "--pin", "123456", "--json"];

  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("init, send, receive and status with the profile and PIN from the environment only", async () => {
    const init = await runVolly(["--json", "init", "--server", server.url, "--handle", "erin"], erin);
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    expect(existsSync(join(home, "erin", "volly.db"))).toBe(true);
    const f = await runVolly([...frank, "init", "--server", server.url, "--handle", "frank"]);
    expect(f.code).toBe(0);

    const sent = await runVolly(["send", "@frank", "configured by the environment"], erin);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const got = await runVolly([...frank, "receive"]);
    expect(jsonLines(got.stdout)).toEqual([
      expect.objectContaining({ from: "erin", text: "configured by the environment" }),
    ]);
    const reply = await runVolly([...frank, "send", "@erin", "got it"]);
    expect(reply.code).toBe(0);
    const back = await runVolly(["--json", "receive"], erin);
    expect(back.code).toBe(0);
    expect(jsonLines(back.stdout)).toEqual([expect.objectContaining({ from: "frank", text: "got it" })]);

    const status = await runVolly(["--json", "status"], erin);
    expect(jsonLines(status.stdout)[0]).toMatchObject({ handle: "erin", server: server.url });
  });

  it("--profile and --pin win over the variables; a wrong VOLLY_PIN is refused with exit 3", async () => {
    const flags = await runVolly([...frank, "status"], { ...erin, VOLLY_PIN: "000000" });
    expect(flags.code).toBe(0);
    expect(jsonLines(flags.stdout)[0]).toMatchObject({ handle: "frank" });
    const wrong = await runVolly(["--json", "status"], { ...erin, VOLLY_PIN: "000000" });
    expect(wrong.code).toBe(3);
    expect(JSON.parse(wrong.stderr).error.code).toBe("VOLLY_E_WRONG_PIN");
    // An empty VOLLY_PROFILE is unset: the default ~/.volly (here an empty HOME), not the cwd.
    const emptyHome = tempDir("volly-cli-env-home-");
    const unset = await runVolly(["--json", "status"], {
      VOLLY_PROFILE: "",
      VOLLY_PIN: "246810",
      HOME: emptyHome,
    });
    expect(unset.code).toBe(4);
    expect(JSON.parse(unset.stderr).error.code).toBe("VOLLY_E_PROFILE_MISSING");
    // The lookup happened there (opening a profile store creates its directory).
    expect(existsSync(join(emptyHome, ".volly"))).toBe(true);
  });

  it("refuses the test suite's cheap-KDF setting outside NODE_ENV=test, before creating anything", async () => {
    const dir = join(home, "grace");
    const r = await runVolly(
      ["--json", "--profile", dir, "--pin", "123456", "init", "--server", server.url, "--handle", "grace"],
      { NODE_ENV: "production", VOLLY_INSECURE_TEST_KDF: "1" },
    );
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr).error.code).toBe("VOLLY_E_USAGE");
    expect(existsSync(dir)).toBe(false);
  });
});

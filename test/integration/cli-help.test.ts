import { createProgram } from "@volly/cli";
import { type Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { runVolly } from "./helpers/cli.js";

/** Every command path of the program (`[]` is `volly` itself), parents before their subcommands. */
function commandPaths(command: Command, path: string[] = []): Array<{ path: string[]; command: Command }> {
  return [{ path, command }, ...command.commands.flatMap((sub) => commandPaths(sub, [...path, sub.name()]))];
}

/**
 * `--help` works on every command and subcommand of the real CLI. The commands are enumerated from
 * the commander program `volly` runs (createProgram), so a command added later is covered too.
 */
describe("volly --help on every command", () => {
  const paths = commandPaths(createProgram());

  it("enumerates the whole tree, subcommands included", () => {
    const names = paths.map((p) => p.path.join(" "));
    expect(names).toEqual(
      expect.arrayContaining(["", "init", "send", "chat", "group", "group add", "groups", "devices link"]),
    );
    for (const { path, command } of paths) expect(command.description(), path.join(" ")).not.toBe("");
  });

  /** The usage a command prints: `volly <path> --help` must print it (stdout) and nothing on stderr. */
  function expectUsage(name: string, command: Command, stdout: string, stderr: string): void {
    expect(stdout, name).toMatch(new RegExp(`^Usage: ${name} `));
    // commander wraps long descriptions at the terminal width; compare words, not line breaks.
    const words = (text: string) => text.replace(/\s+/g, " ");
    expect(words(stdout), name).toContain(words(command.description()));
    expect(stderr, name).toBe("");
  }

  it("every command: `--help` ends with exit code 0 and prints the usage naming it and its description", async () => {
    // In this process, on the program `volly` runs (a separate node process per command would cost
    // ~0.5 s of CPU each); the next test runs the real binary for a sample.
    for (const { path, command } of paths) {
      const name = ["volly", ...path].join(" ");
      const program = createProgram();
      let stdout = "";
      let stderr = "";
      const capture = (c: Command): void => {
        c.configureOutput({
          writeOut: (s) => {
            stdout += s;
          },
          writeErr: (s) => {
            stderr += s;
          },
        });
        for (const sub of c.commands) capture(sub);
      };
      capture(program);
      const exit = await program.parseAsync([...path, "--help"], { from: "user" }).then(
        () => "no exit",
        (err: unknown) => (err instanceof CommanderError ? err.exitCode : err),
      );
      expect(exit, `${name} --help: ${stderr}`).toBe(0);
      expectUsage(name, command, stdout, stderr);
    }
  });

  it("the real binary: exits 0 and prints the usage, for the program, a command and a subcommand", async () => {
    const sample = paths.filter((p) => ["", "send", "group add"].includes(p.path.join(" ")));
    expect(sample).toHaveLength(3);
    await Promise.all(
      sample.map(async ({ path, command }) => {
        const name = ["volly", ...path].join(" ");
        const r = await runVolly([...path, "--help"]);
        expect(r.code, `${name} --help: ${r.stderr}`).toBe(0);
        expectUsage(name, command, r.stdout, r.stderr);
      }),
    );
  });
});

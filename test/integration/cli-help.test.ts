import { createProgram } from "@volly/cli";
import type { Command } from "commander";
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

  it("exits 0 and prints the usage naming the command and its description", async () => {
    // Two at a time: each run is a separate node process.
    const queue = [...paths];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const name = ["volly", ...next.path].join(" ");
        const r = await runVolly([...next.path, "--help"]);
        expect(r.code, `${name} --help: ${r.stderr}`).toBe(0);
        expect(r.stdout, name).toMatch(new RegExp(`^Usage: ${name} `));
        // commander wraps long descriptions at the terminal width; compare words, not line breaks.
        const words = (text: string) => text.replace(/\s+/g, " ");
        expect(words(r.stdout), name).toContain(words(next.command.description()));
        expect(r.stderr, name).toBe("");
      }
    };
    await Promise.all([worker(), worker()]);
  });
});

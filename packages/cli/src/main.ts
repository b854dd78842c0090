import { runCli } from "./program.js";

/** Runs the `volly` command line with this process's arguments (see {@link runCli}). */
const code = await runCli(process.argv.slice(2));
process.exitCode = code;

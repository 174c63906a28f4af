/**
 * Shared process handling for both binaries: parse, run, and turn failures into one clear line and an
 * exit code. User mistakes (bad flags, bad config) exit 2 with no stack trace; runtime failures exit 1.
 * Set BMS_DEBUG=1 to see stack traces.
 */
import { type Command, CommanderError } from "commander";
import { BmsError, isBmsError } from "../errors.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const USAGE_CODES = new Set(["CONFIG_INVALID", "USAGE"]);

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (isBmsError(error) && USAGE_CODES.has(error.code)) return EXIT_USAGE;
  return EXIT_FAILURE;
}

export function describeFailure(program: string, error: unknown): string {
  if (isBmsError(error)) return `${program}: ${error.message}`;
  if (error instanceof Error) return `${program}: ${error.message}`;
  return `${program}: ${String(error)}`;
}

/** Throws a usage error (exit 2) naming what was wrong. */
export function usageError(message: string): BmsError {
  return new BmsError("USAGE", message);
}

/**
 * `bms-emu --list-scenarios | head -3`: a reader that closed the pipe early is not a failure of ours, so
 * stop quietly (exit 0) instead of dying on an unhandled EPIPE with a stack trace.
 */
function exitQuietlyOnClosedStdout(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(EXIT_OK);
    throw error;
  });
}

export async function runCli(program: Command, argv: string[]): Promise<void> {
  exitQuietlyOnClosedStdout();
  // sub-commands copy these settings only when created, and they are registered before this runs
  for (const command of allCommands(program)) {
    command.exitOverride();
    command.configureOutput({
      // commander prints its own one-line messages for unknown options and missing arguments
      writeErr: (text) => process.stderr.write(text),
    });
  }
  try {
    rejectUnknownCommand(program, argv.slice(2));
    await program.parseAsync(argv);
  } catch (error) {
    const code = exitCodeFor(error);
    if (!(error instanceof CommanderError)) {
      process.stderr.write(`${describeFailure(program.name(), error)}\n`);
      if (process.env.BMS_DEBUG && error instanceof Error && error.stack)
        process.stderr.write(`${error.stack}\n`);
    }
    process.exitCode = code;
  }
}

/**
 * A program with sub-commands and a default one (`bms-bridge` runs the bridge when no command is named)
 * would hand an unknown first word to the default command, which reports "too many arguments for 'run'"
 * without naming the word. Catch that first word here and name it. Options come first for a bare
 * `bms-bridge --address …`, so only a first word that is not an option is checked.
 */
function rejectUnknownCommand(program: Command, args: string[]): void {
  const word = args[0];
  if (program.commands.length === 0 || word === undefined || word.startsWith("-")) return;
  const known = program.commands.flatMap((command) => [command.name(), ...command.aliases()]);
  if (word === "help" || known.includes(word)) return;
  throw usageError(`unknown command '${word}' (see ${program.name()} --help)`);
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

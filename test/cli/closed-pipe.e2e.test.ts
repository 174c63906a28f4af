/**
 * A reader that closes the pipe before the CLI writes (`bms-emu --list-scenarios | head -1` on a slow
 * machine) ends the CLI quietly with exit 0, not with an EPIPE stack trace.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/repo-root.js";

describe("stdout closed by the reader", () => {
  it("bms-emu --list-scenarios exits 0 without a stack trace", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "src/cli/bms-emu.ts"), "--list-scenarios"],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // closed at once: the CLI needs far longer than this to start and write its first line
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  }, 60_000);
});

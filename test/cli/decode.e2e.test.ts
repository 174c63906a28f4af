/**
 * `bms-bridge decode` end to end: the real CLI is spawned (tsx) on every real fixture, with hex as
 * arguments and on stdin, and its JSON lines are checked against the hand-worked fixture values.
 */
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadFrameFixtures } from "../support/frame-fixtures.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "src/cli/bms-bridge.ts");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runDecode(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      TSX,
      [CLI, "decode", ...args],
      { cwd: ROOT, timeout: 90_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

const jsonLines = (stdout: string) =>
  stdout
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line));

const fixtures = loadFrameFixtures();

// Each test spawns a process; on a loaded shared machine one start can take several seconds.
describe("bms-bridge decode (spawned)", { timeout: 90_000 }, () => {
  for (const file of fixtures) {
    it(`decodes every frame of ${file.file} given as arguments`, async () => {
      const run = await runDecode(["--json", ...file.frames.map((frame) => frame.hex)]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const lines = jsonLines(run.stdout);
      expect(lines).toHaveLength(file.frames.length);
      file.frames.forEach((frame, i) => {
        expect(lines[i], frame.name).toMatchObject(frame.expected);
      });
    });
  }

  it("reads every fixture frame and stream from stdin, one capture per line, in stream order", async () => {
    const lines: string[] = [];
    const expected: Record<string, unknown>[] = [];
    for (const file of fixtures) {
      for (const frame of file.frames) {
        // pasted the way esphome logs it: colon-separated
        lines.push(frame.hex.split(" ").join(":"));
        expected.push(frame.expected);
      }
      for (const stream of file.streams ?? []) {
        lines.push(stream.chunks.join(" "));
        expected.push(...stream.expected);
      }
    }
    const run = await runDecode(["--json"], `${lines.join("\n")}\n`);
    expect(run.code).toBe(0);
    const items = jsonLines(run.stdout);
    expect(items).toHaveLength(expected.length);
    expected.forEach((value, i) => {
      expect(items[i]).toMatchObject(value);
    });
  });

  it("prints the human table by default", async () => {
    const run = await runDecode(["0xDD,0xA5,0x03,0x00,0xFF,0xFD,0x77"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^#1 read request 0x03 basic info$/m);
  });

  it("exits 0 when the input holds invalid frames", async () => {
    const invalid = await runDecode(["--json", "DD 04 00 02 0D 78 FF 7A 77"]);
    expect(invalid.code).toBe(0);
    expect(jsonLines(invalid.stdout)).toEqual([
      expect.objectContaining({ kind: "invalid", error: "checksum", valid: false }),
    ]);
  });

  it("exits 2 with one line naming the problem on an odd digit count", async () => {
    const odd = await runDecode(["DD A5 0"]);
    expect(odd.code).toBe(2);
    expect(odd.stdout).toBe("");
    expect(odd.stderr.trimEnd().split("\n")).toEqual([
      "bms-bridge: decode: odd number of hex digits (5); each byte needs two",
    ]);
  });

  it("exits 2 on text that is not hex (a pasted log line)", async () => {
    const text = await runDecode([], "[uart_debug]: <<< DD:03\n");
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/^bms-bridge: decode: not a hex digit: "\["/);
  });
});

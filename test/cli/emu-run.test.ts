import { createServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type EmuFlags, type EmuIo, runEmu } from "../../src/cli/emu-run.js";

const flags = (over: Partial<EmuFlags> = {}): EmuFlags => ({
  count: "1",
  tcp: "127.0.0.1:0",
  serial: [],
  fault: [],
  ...over,
});

function fakeIo(isTty: boolean): EmuIo & { writes: string[]; stop(): void } {
  let stop = () => {};
  const writes: string[] = [];
  return {
    writes,
    isTty,
    macBase: 0,
    stdout: { write: (text: string) => writes.push(text) },
    waitForStop: () =>
      new Promise<void>((resolve) => {
        stop = resolve;
      }),
    stop: () => stop(),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("bms-emu status output", () => {
  it("on a terminal redraws the status block in place every second", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const io = fakeIo(true);
    const done = runEmu(flags({ count: "2" }), io);
    await vi.waitFor(() => expect(io.writes.some((w) => w.includes("SoC"))).toBe(true));
    const first = io.writes.find((w) => w.includes("SoC")) as string;
    expect(first.startsWith("\x1b[2K#1 A5:C2:37:E0:00:01")).toBe(true);
    expect(first).toContain("\x1b[2K#2 A5:C2:37:E0:00:02");
    vi.advanceTimersByTime(1000);
    const redraw = io.writes.at(-1) as string;
    expect(redraw.startsWith("\x1b[2F\x1b[2K#1 ")).toBe(true); // cursor up over the two lines, then redraw
    io.stop();
    await done;
    expect(io.writes.at(-1)).toBe("bms-emu: stopped\n");
  });

  it("in a log prints plain lines every 5 s, not every second", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const io = fakeIo(false);
    const done = runEmu(flags(), io);
    await vi.waitFor(() => expect(io.writes.some((w) => w.includes("SoC"))).toBe(true));
    const count = () => io.writes.filter((w) => w.includes("SoC")).length;
    expect(count()).toBe(1);
    vi.advanceTimersByTime(4000);
    expect(count()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(count()).toBe(2);
    expect(io.writes.join("")).not.toContain("\x1b[");
    io.stop();
    await done;
  });

  it("--quiet prints the serving lines only", async () => {
    const io = fakeIo(false);
    const done = runEmu(flags({ quiet: true }), io);
    await vi.waitFor(() => expect(io.writes.some((w) => w.includes("serving tcp"))).toBe(true));
    io.stop();
    await done;
    expect(io.writes.some((w) => w.includes("SoC"))).toBe(false);
  });

  it("two runs without --mac do not both call their battery A5:C2:37:E0:00:01", async () => {
    const firstLine = async (): Promise<string> => {
      const io = fakeIo(false);
      delete io.macBase; // as the CLI runs: a base drawn per process
      const done = runEmu(flags({ quiet: true }), io);
      await vi.waitFor(() => expect(io.writes.some((w) => w.includes("serving tcp"))).toBe(true));
      io.stop();
      await done;
      return /#1 (\S+)/.exec(io.writes.join(""))?.[1] ?? "";
    };
    const [a, b] = [await firstLine(), await firstLine()];
    expect(a).toMatch(/^A5:C2:37:E0:[0-9A-F]{2}:[0-9A-F]{2}$/);
    expect(b).toMatch(/^A5:C2:37:E0:[0-9A-F]{2}:[0-9A-F]{2}$/);
    expect(a).not.toBe(b); // drawn from 65 471 bases: a clash is a 1-in-65 471 event
  });

  it("--mac names the batteries; a bad or repeated MAC is a usage error", async () => {
    const io = fakeIo(false);
    const done = runEmu(flags({ quiet: true, count: "2", mac: "a5:c2:37:3c:76:d2" }), io);
    await vi.waitFor(() => expect(io.writes.some((w) => w.includes("#2"))).toBe(true));
    io.stop();
    await done;
    expect(io.writes.join("")).toMatch(/#1 A5:C2:37:3C:76:D2 .*\n.*#2 A5:C2:37:E0:00:02 /);
    await expect(runEmu(flags({ mac: "nope" }), fakeIo(false))).rejects.toMatchObject({ code: "USAGE" });
    await expect(
      runEmu(flags({ count: "2", mac: "A5:C2:37:00:00:01,a5-c2-37-00-00-01" }), fakeIo(false)),
    ).rejects.toThrow("given twice");
  });

  it("--console on a busy port fails with one line naming the flag", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(
        runEmu(flags({ quiet: true, console: `127.0.0.1:${port}` }), fakeIo(false)),
      ).rejects.toThrow(
        `console 127.0.0.1:${port} is already in use: choose another with --console HOST:PORT`,
      );
    } finally {
      blocker.close();
    }
  });
});

import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLabLock, probeLock } from "../../../scripts/vble/lock.js";

describe("the virtual BLE lab lock", () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "vble-lock-"));
    path = join(dir, "lock");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lets one holder in and tells a second one who holds it", async () => {
    const held = await acquireLabLock({ description: "holder A", waitMs: 0, path });
    expect(await probeLock(path)).toBe("holder A");
    let toldAbout: string | undefined;
    await expect(
      acquireLabLock({ description: "holder B", waitMs: 600, path, onWait: (h) => (toldAbout = h) }),
    ).rejects.toThrow(/in use by holder A/);
    expect(toldAbout).toBe("holder A");
    await held.release();
  });

  it("hands the lock over once the holder releases it", async () => {
    const first = await acquireLabLock({ description: "first", waitMs: 0, path });
    const second = acquireLabLock({ description: "second", waitMs: 10_000, path });
    await first.release();
    const held = await second;
    expect(await probeLock(path)).toBe("second");
    await held.release();
  });

  it("removes a stale lock file nobody answers on", async () => {
    writeFileSync(path, "left over by a crashed holder");
    expect(await probeLock(path)).toBeUndefined();
    const held = await acquireLabLock({ description: "fresh", waitMs: 0, path });
    expect(await probeLock(path)).toBe("fresh");
    await held.release();
    expect(await probeLock(path)).toBeUndefined();
  });
});

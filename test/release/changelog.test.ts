/**
 * CHANGELOG.md and package.json tell the same version: the newest released entry (the first `## [x.y.z]`
 * below `## [Unreleased]`) is the version npm packs, and `bms-bridge --version` prints (src/cli/version.ts
 * reads package.json).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/repo-root.js";

const changelog = readFileSync(join(REPO_ROOT, "CHANGELOG.md"), "utf8");
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
const headings = [...changelog.matchAll(/^## \[([^\]]+)\](?: - (\d{4}-\d\d-\d\d))?$/gm)].map((m) => ({
  version: m[1] as string,
  date: m[2],
}));

describe("CHANGELOG.md", () => {
  it("starts with an Unreleased section the next release fills", () => {
    expect(headings[0]?.version).toBe("Unreleased");
  });

  it("has the package.json version as its newest released entry, with a date", () => {
    const released = headings.filter((h) => h.version !== "Unreleased");
    expect(released[0]).toEqual({ version: packageJson.version, date: expect.stringMatching(/^\d{4}-/) });
  });

  it("lists released versions newest first, each once", () => {
    const versions = headings.filter((h) => h.version !== "Unreleased").map((h) => h.version);
    const newestFirst = [...versions].sort((a, b) =>
      b.localeCompare(a, undefined, { numeric: true, sensitivity: "base" }),
    );
    expect(versions).toEqual(newestFirst);
    expect(new Set(versions).size).toBe(versions.length);
  });
});

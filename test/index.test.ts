/**
 * The public entry and its doc agree: every name docs/api.md lists in its exports column is exported by
 * src/index.ts (renames in the code fail here until the doc follows). The docs' example itself runs against
 * the installed package in test/e2e/package-install.e2e.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";
import { REPO_ROOT } from "./support/repo-root.js";

function documentedExports(): string[] {
  const doc = readFileSync(join(REPO_ROOT, "docs/api.md"), "utf8");
  const rows = doc.split("\n").filter((line) => /^\| [a-z][a-z ]+\s*\| `/.test(line));
  return rows.flatMap((row) =>
    [...(row.split("|")[2] ?? "").matchAll(/`([A-Za-z_]\w*)`/g)].map((m) => m[1] as string),
  );
}

const exported: Record<string, unknown> = api;

describe("the public entry (bms-bridge)", () => {
  it("exports every name docs/api.md lists", () => {
    const names = documentedExports();
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((name) => !(name in exported))).toEqual([]);
  });

  it("exports the starters and the client as functions", () => {
    for (const name of [
      "connectBattery",
      "startBridge",
      "startEmulator",
      "startBroker",
      "loadConfig",
    ] as const)
      expect({ name, type: typeof exported[name] }).toEqual({ name, type: "function" });
  });
});

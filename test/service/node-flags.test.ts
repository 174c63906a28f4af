import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BRIDGE_NODE_FLAGS } from "../../src/service/node-flags.js";

describe("the node flags the bridge runs with", () => {
  it("are on the bms-bridge command's first line, so an installed bin starts node with them", () => {
    const source = readFileSync(new URL("../../src/cli/bms-bridge.ts", import.meta.url), "utf8");
    const firstLine = source.split("\n")[0];
    expect(firstLine).toBe(`#!/usr/bin/env -S node ${BRIDGE_NODE_FLAGS.join(" ")}`);
  });
});

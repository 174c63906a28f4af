/**
 * topicMatches (src/bridge/mqtt/topics.ts) decides which handlers get each incoming message: the MQTT
 * 3.1.1 matching rules ([MQTT-4.7.1]), checked case by case and against a plain level-by-level model on
 * random filters and topics.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { topicMatches } from "../../../src/bridge/mqtt/topics.js";

/** The rules as written: split both into levels, `+` is any one level, `#` the rest (the parent too). */
function model(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

describe("topicMatches", () => {
  it.each([
    ["accusolar/battery/+/status", "accusolar/battery/b1/status", true],
    ["accusolar/battery/+/status", "accusolar/battery/b1/voltage", false],
    ["accusolar/battery/+/status", "accusolar/battery/status", false],
    ["accusolar/battery/+/status", "accusolar/battery/b1/status/x", false],
    ["accusolar/#", "accusolar", true],
    ["accusolar/#", "accusolar/bridge/pi/state", true],
    ["accusolar/#", "accusolarx/a", false],
    ["#", "anything/at/all", true],
    ["+", "", true],
    ["+", "a/b", false],
    ["a/+", "a/", true],
    ["a/+", "a", false],
    ["a/b", "a/b", true],
    ["a/b", "a/bc", false],
    ["a/bc", "a/b", false],
    ["a/b", "a/b/c", false],
    ["a/b/c", "a/b", false],
    ["+/+/+", "a/b/c", true],
    ["a/+/#", "a", false],
    ["a/+/#", "a/b", true],
    ["b/#", "a/b", false],
    // only a whole level is a wildcard: a longer one is compared as written
    ["a/#b", "a/x", false],
    ["a/+b", "a/x", false],
    ["a/+b", "a/+b", true],
  ])("%s against %s: %s", (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it("agrees with the level-by-level rules on random filters and topics", () => {
    const level = fc.constantFrom("", "a", "b", "ab", "ba", "abc");
    const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join("/"));
    const filter = fc
      .tuple(fc.array(fc.oneof(level, fc.constant("+")), { minLength: 1, maxLength: 5 }), fc.boolean())
      .map(([levels, hash]) => (hash ? [...levels, "#"] : levels).join("/"));
    fc.assert(
      fc.property(filter, topic, (f, t) => topicMatches(f, t) === model(f, t)),
      { numRuns: 5000 },
    );
  });
});

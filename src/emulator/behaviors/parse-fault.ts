/**
 * Fault spec text, shared by `--fault` and scenario files:
 *
 *   KIND[:VALUE][,p=PROBABILITY][,every=N][,from=SECONDS][,to=SECONDS]
 *
 * e.g. `drop:0.1`, `split:7`, `delay:800,every=3`, `corrupt,from=60,to=120`, `junk:FF00`, `error:0x81,p=0.2`.
 * Returns a problem string instead of throwing, so callers can list every problem at once.
 */
import { FAULTS, type FaultKind, type FaultSpec } from "./faults.js";

type Parsed = { ok: true; spec: FaultSpec } | { ok: false; problem: string };

const HEX_VALUED = new Set<FaultKind>(["junk", "noise"]);

function parseHex(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\s:]/g, "").replace(/^0x/i, "");
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(clean)) return undefined;
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

function parseNumber(text: string): number | undefined {
  if (text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

const OPTIONS: Readonly<
  Record<string, { key: "probability" | "every" | "fromS" | "toS"; check(v: number): boolean }>
> = {
  p: { key: "probability", check: (v) => v >= 0 && v <= 1 },
  every: { key: "every", check: (v) => Number.isInteger(v) && v >= 1 },
  from: { key: "fromS", check: (v) => v >= 0 },
  to: { key: "toS", check: (v) => v >= 0 },
};

function checkValue(kind: FaultKind, value: number): string | undefined {
  if (FAULTS[kind].valueIsProbability) return value >= 0 && value <= 1 ? undefined : "a probability 0–1";
  if (kind === "split") return Number.isInteger(value) && value >= 1 ? undefined : "a size ≥ 1 byte";
  if (kind === "error")
    return Number.isInteger(value) && value >= 1 && value <= 0xff ? undefined : "a status byte";
  return value >= 0 ? undefined : "a non-negative number";
}

export function parseFaultSpec(text: string): Parsed {
  const bad = (why: string): Parsed => ({ ok: false, problem: `fault "${text}": ${why}` });
  const [head = "", ...options] = text.trim().split(",");
  const colon = head.indexOf(":");
  const kind = (colon < 0 ? head : head.slice(0, colon)).trim() as FaultKind;
  if (!Object.hasOwn(FAULTS, kind)) return bad(`unknown kind; use one of ${Object.keys(FAULTS).join(", ")}`);
  const spec: FaultSpec = { kind };
  if (colon >= 0) {
    const valueText = head.slice(colon + 1);
    if (HEX_VALUED.has(kind)) {
      const hex = parseHex(valueText);
      if (!hex) return bad(`value must be hex bytes, e.g. ${kind}:FF00`);
      spec.value = hex;
    } else {
      const value = parseNumber(valueText);
      const problem = value === undefined ? "a number" : checkValue(kind, value);
      if (value === undefined || problem) return bad(`value must be ${problem}`);
      spec.value = value;
    }
  }
  for (const option of options) {
    const [name = "", raw = ""] = option.split("=");
    const def = OPTIONS[name.trim()];
    if (!def) return bad(`unknown option "${name}"; use p=, every=, from=, to=`);
    const value = parseNumber(raw);
    if (value === undefined || !def.check(value)) return bad(`option ${name} has an invalid value "${raw}"`);
    spec[def.key] = value;
  }
  return { ok: true, spec };
}

/** A spec as text again (`drop,p=0.3`), for showing the faults a battery runs. */
export function formatFaultSpec(spec: FaultSpec): string {
  const value =
    spec.value === undefined
      ? ""
      : spec.value instanceof Uint8Array
        ? `:${[...spec.value].map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join("")}`
        : `:${spec.value}`;
  const options: Array<[string, number | undefined]> = [
    ["p", spec.probability],
    ["every", spec.every],
    ["from", spec.fromS],
    ["to", spec.toS],
  ];
  const tail = options.filter(([, v]) => v !== undefined).map(([k, v]) => `,${k}=${v}`);
  return `${spec.kind}${value}${tail.join("")}`;
}

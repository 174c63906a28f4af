/**
 * The fault catalogue. Each kind is one table row: its stage, what its value means, and how it rewrites
 * the plan. `createFault(spec)` wraps a row with its trigger (probability / every Nth / time window).
 * Syntax and meaning are documented in docs/cli-emu.md ("Faults").
 */
import { encodeResponse } from "../../protocol/frame.js";
import { type Behavior, type FaultContext, fires, type Stage, type Step, type Trigger } from "./behavior.js";

export type FaultKind =
  | "drop"
  | "stall"
  | "delay"
  | "split"
  | "corrupt"
  | "truncate"
  | "junk"
  | "error"
  | "disconnect"
  | "reboot"
  | "noise";

/** One configured fault: a kind, its value (meaning per kind) and when it fires. */
export interface FaultSpec extends Trigger {
  kind: FaultKind;
  /** Number for drop/stall/delay/split/truncate/error/disconnect/reboot; hex bytes for junk/noise. */
  value?: number | Uint8Array;
}

const mapSends = (plan: Step[], fn: (bytes: Uint8Array) => Uint8Array): Step[] =>
  plan.map((step) => (step.kind === "send" ? { kind: "send", bytes: fn(step.bytes) } : step));

/** Re-cuts consecutive sends into `size`-byte notifications (a frame may span several sends). */
export function splitSends(plan: Step[], size: number): Step[] {
  const out: Step[] = [];
  let pending: number[] = [];
  const flush = (): void => {
    for (let i = 0; i < pending.length; i += size)
      out.push({ kind: "send", bytes: Uint8Array.from(pending.slice(i, i + size)) });
    pending = [];
  };
  for (const step of plan) {
    if (step.kind === "send") pending.push(...step.bytes);
    else {
      flush();
      out.push(step);
    }
  }
  flush();
  return out;
}

const firstSendIndex = (plan: Step[]): number => plan.findIndex((s) => s.kind === "send");

interface FaultRow {
  stage: Stage;
  /** Value used when the spec gives none. */
  defaultValue: number | Uint8Array | undefined;
  /** For these kinds a bare number is the probability (e.g. `drop:0.1`), not a parameter. */
  valueIsProbability?: boolean;
  apply(plan: Step[], value: number | Uint8Array | undefined, ctx: FaultContext): Step[];
}

const num = (value: number | Uint8Array | undefined, fallback: number): number =>
  typeof value === "number" ? value : fallback;
const bytes = (value: number | Uint8Array | undefined): Uint8Array =>
  value instanceof Uint8Array ? value : new Uint8Array(0);

export const FAULTS: Readonly<Record<FaultKind, FaultRow>> = {
  drop: { stage: "frame", defaultValue: undefined, valueIsProbability: true, apply: () => [] },
  stall: { stage: "frame", defaultValue: undefined, apply: () => [] },
  corrupt: {
    stage: "frame",
    defaultValue: undefined,
    valueIsProbability: true,
    // Flip the low checksum byte (second to last byte of a DD frame, docs/protocol.md §2).
    apply: (plan) =>
      mapSends(plan, (b) => {
        const out = Uint8Array.from(b);
        if (out.length >= 3) out[out.length - 2] = (out[out.length - 2] as number) ^ 0xff;
        return out;
      }),
  },
  truncate: {
    stage: "frame",
    defaultValue: 1,
    apply: (plan, value) => mapSends(plan, (b) => b.slice(0, Math.max(0, b.length - num(value, 1)))),
  },
  junk: {
    stage: "frame",
    defaultValue: Uint8Array.of(0xff),
    apply: (plan, value) => {
      const at = firstSendIndex(plan);
      if (at < 0) return plan;
      const step = plan[at] as { kind: "send"; bytes: Uint8Array };
      const joined = Uint8Array.from([...bytes(value), ...step.bytes]);
      return plan.map((s, i) => (i === at ? { kind: "send", bytes: joined } : s));
    },
  },
  error: {
    stage: "frame",
    defaultValue: 0x80,
    apply: (plan, value, ctx) =>
      ctx.register === undefined
        ? plan
        : [{ kind: "send", bytes: encodeResponse(ctx.register, num(value, 0x80), new Uint8Array(0)) }],
  },
  split: { stage: "chunk", defaultValue: 20, apply: (plan, value) => splitSends(plan, num(value, 20)) },
  delay: {
    stage: "delivery",
    defaultValue: 500,
    apply: (plan, value) => (plan.length ? [{ kind: "wait", ms: num(value, 500) }, ...plan] : plan),
  },
  disconnect: {
    stage: "delivery",
    defaultValue: undefined,
    valueIsProbability: true,
    // Disconnect mid-frame: the first notification (over a wire, the first 20 bytes) goes out, then the
    // link drops.
    apply: (plan) => {
      const at = firstSendIndex(plan);
      if (at < 0) return [{ kind: "disconnect" }];
      const first = plan[at] as { kind: "send"; bytes: Uint8Array };
      return [
        ...plan.slice(0, at),
        { kind: "send", bytes: first.bytes.slice(0, 20) },
        { kind: "disconnect" },
      ];
    },
  },
  reboot: {
    stage: "delivery",
    defaultValue: undefined,
    valueIsProbability: true,
    apply: () => [{ kind: "reboot" }],
  },
  noise: {
    stage: "delivery",
    // Unsolicited non-JBD bytes on the notify characteristic (docs/protocol.md §9: UP16S telemetry blocks).
    defaultValue: Uint8Array.of(0xaa, 0x55, 0x01, 0x02, 0x7e),
    apply: (plan, value) => [{ kind: "send", bytes: bytes(value) }, ...plan],
  },
};

/** A behaviour for one fault spec. */
export function createFault(spec: FaultSpec): Behavior {
  const row = FAULTS[spec.kind];
  const trigger: Trigger = { ...spec };
  let value = spec.value ?? row.defaultValue;
  if (row.valueIsProbability && typeof spec.value === "number") {
    trigger.probability = spec.value;
    value = undefined;
  }
  return {
    name: spec.kind,
    stage: row.stage,
    apply: (plan, ctx) => (fires(trigger, ctx) ? row.apply(plan, value, ctx) : plan),
  };
}

/**
 * The always-present base layer: responses leave as notifications of at most `size` bytes (ATT MTU 23 → 20).
 * Unlike the `split` fault it cuts each send on its own, so captured chunking (replay) survives.
 */
export function notificationSplitter(size: number): Behavior {
  return {
    name: "notify-size",
    stage: "chunk",
    apply: (plan) => plan.flatMap((step) => (step.kind === "send" ? splitSends([step], size) : [step])),
  };
}

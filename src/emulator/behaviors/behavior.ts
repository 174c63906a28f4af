/**
 * Fault behaviours, zwave-js `defineBehavior` style: each layer receives the delivery plan produced so far
 * (what the BMS would send and how) and returns a new plan. Layers run in stage order — `frame` (whole
 * response bytes), `chunk` (cutting into notifications), `delivery` (timing, link events) — and, inside a
 * stage, later layers wrap earlier ones (they see and transform their output).
 */

/** One thing the emulated BMS does after a request. */
export type Step =
  | { kind: "send"; bytes: Uint8Array }
  | { kind: "wait"; ms: number }
  | { kind: "disconnect" }
  | { kind: "reboot" };

export type Stage = "frame" | "chunk" | "delivery";

export const STAGE_ORDER: readonly Stage[] = ["frame", "chunk", "delivery"];

/** What a behaviour may look at when deciding. */
export interface FaultContext {
  /** 1-based number of this request on this battery. */
  requestIndex: number;
  /** Simulated time, s. */
  simTimeS: number;
  /** The request's register (undefined for a frame that was not a JBD request). */
  register: number | undefined;
  /** Deterministic pseudo-random number in [0, 1) from the battery's seeded generator. */
  random(): number;
}

export interface Behavior {
  readonly name: string;
  readonly stage: Stage;
  apply(plan: Step[], ctx: FaultContext): Step[];
}

/** When a fault fires. All given conditions must hold. */
export interface Trigger {
  /** Chance per request, 0–1. */
  probability?: number;
  /** Every Nth request (N, 2N, …). */
  every?: number;
  /** Simulated-time window, s (inclusive start, exclusive end). */
  fromS?: number;
  toS?: number;
}

/** Whether `trigger` fires for this request. Draws a random number only when a probability is set. */
export function fires(trigger: Trigger, ctx: FaultContext): boolean {
  if (trigger.fromS !== undefined && ctx.simTimeS < trigger.fromS) return false;
  if (trigger.toS !== undefined && ctx.simTimeS >= trigger.toS) return false;
  if (trigger.every !== undefined && ctx.requestIndex % trigger.every !== 0) return false;
  if (trigger.probability !== undefined && ctx.random() >= trigger.probability) return false;
  return true;
}

/** Runs the behaviours in stage order (stable inside a stage) over an initial plan. */
export function applyBehaviors(behaviors: readonly Behavior[], plan: Step[], ctx: FaultContext): Step[] {
  let out = plan;
  for (const stage of STAGE_ORDER) {
    for (const behavior of behaviors) if (behavior.stage === stage) out = behavior.apply(out, ctx);
  }
  return out;
}

/** mulberry32: a tiny, well-distributed seeded PRNG, so faults with probabilities are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A responder's answer as the steps a port runs, and plan comparison (did a fault change anything?). */
import type { Step } from "./behaviors/behavior.js";
import type { Response } from "./responder.js";

export function planFor(response: Response | undefined): Step[] {
  if (response === undefined) return [];
  if (response instanceof Uint8Array) return [{ kind: "send", bytes: response }];
  return response.chunks.flatMap((bytes, i): Step[] => {
    const wait = response.delaysMs?.[i] ?? 0;
    return wait > 0
      ? [
          { kind: "wait", ms: wait },
          { kind: "send", bytes },
        ]
      : [{ kind: "send", bytes }];
  });
}

export function samePlan(a: Step[], b: Step[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((step, i) => {
    const other = b[i] as Step;
    if (step.kind !== other.kind) return false;
    if (step.kind === "send" && other.kind === "send")
      return step.bytes.length === other.bytes.length && step.bytes.every((v, j) => v === other.bytes[j]);
    if (step.kind === "wait" && other.kind === "wait") return step.ms === other.ms;
    return true;
  });
}

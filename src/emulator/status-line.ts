/** The one-line live status per battery that `bms-emu` prints. */
import { healthForSpread } from "../protocol/telemetry.js";
import type { EmulatedBattery } from "./battery.js";
import type { Endpoint } from "./serve.js";

const FET_TEXT = ["--", "C-", "-D", "CD"];

function signed(value: number): string {
  return `${value >= 0 ? "+" : ""}${value.toFixed(2)}`;
}

function duration(seconds: number): string {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}h${String(m).padStart(2, "0")}m${String(s % 60).padStart(2, "0")}s`;
}

/**
 * e.g. `#1 A5:C2:37:E0:00:01 t=0h01m00s SoC 71% 13.45V +9.93A spread 2mV Normal fet CD prot 0000
 * faults 0 req 12 | tcp 127.0.0.1:8899 (connected)`.
 */
export function formatStatusLine(
  index: number,
  battery: EmulatedBattery,
  endpoints: readonly Endpoint[],
): string {
  const s = battery.snapshot();
  const where = endpoints
    .map((e) => `${e.description}${e.connected === undefined ? "" : e.connected ? " (connected)" : ""}`)
    .join(", ");
  return [
    `#${index + 1} ${battery.address}`,
    `t=${duration(s.timeS)}`,
    `SoC ${s.socPct}%`,
    `${s.voltageV.toFixed(2)}V`,
    `${signed(s.currentA)}A`,
    `${s.temperaturesC.map((t) => t.toFixed(1)).join("/")}°C`,
    `spread ${s.spreadMv}mV ${healthForSpread(s.spreadMv)}`,
    `fet ${FET_TEXT[s.fetRaw & 0b11]}`,
    `prot ${s.protectionRaw.toString(16).padStart(4, "0")}`,
    `faults ${battery.faultCount}`,
    `req ${battery.requests.length}`,
    `| ${where || "no transport"}`,
  ].join(" ");
}

/**
 * A radio model for one lab endpoint: btvirt moves packets between controllers at once, a real link does
 * not. With a model set, the relay holds each packet of that endpoint until the air would carry it:
 * - data (ACL) crosses only at connection events, one every `intervalMs`, at most `packetsPerEvent` per
 *   event and direction; a lost packet is sent again one event later (the link layer retransmits, so
 *   loss shows as latency, never as missing bytes);
 * - an advertising report arrives after a random part of the advertising interval, one interval more per
 *   lost advertisement, with an RSSI around `rssiDbm`;
 * - a new connection completes after an advertisement is caught and the first connection event passed.
 * Packets of one direction keep their order. Pure: time and randomness are passed in.
 */

export interface RadioModel {
  intervalMs: number;
  advertisingIntervalMs: number;
  /** Probability (0–1) that one packet or one advertisement is lost. */
  loss: number;
  /** Centre of the RSSI written into advertising reports (dBm), ± 4 dB; btvirt itself reports 127. */
  rssiDbm: number;
  packetsPerEvent: number;
}

/** Typical of a Linux central with a BLE dongle: 30 ms interval, 100 ms advertising, no loss. */
export const DEFAULT_RADIO: RadioModel = {
  intervalMs: 30,
  advertisingIntervalMs: 100,
  loss: 0,
  rssiDbm: -62,
  packetsPerEvent: 4,
};

export type Random = () => number;

/** Whole intervals lost before a packet gets through (geometric; capped so loss 1 cannot hang). */
function retransmissions(loss: number, random: Random): number {
  let count = 0;
  while (count < 50 && random() < loss) count++;
  return count;
}

/** The connection-event grid of one direction of one endpoint. */
export class AirSchedule {
  #lastEvent = Number.NEGATIVE_INFINITY;
  #sentInEvent = 0;
  readonly #phaseMs: number;

  constructor(phaseMs = 0) {
    this.#phaseMs = phaseMs;
  }

  /** When a data packet handed over at `now` reaches the other side (≥ every earlier answer). */
  dataReleaseAt(now: number, model: RadioModel, random: Random): number {
    const interval = model.intervalMs;
    const from = Math.max(now, this.#lastEvent);
    let event = this.#phaseMs + Math.ceil((from - this.#phaseMs) / interval) * interval;
    if (event === this.#lastEvent && this.#sentInEvent >= model.packetsPerEvent) event += interval;
    event += retransmissions(model.loss, random) * interval;
    if (event !== this.#lastEvent) this.#sentInEvent = 0;
    this.#lastEvent = event;
    this.#sentInEvent++;
    return event;
  }
}

export function advertisingDelayMs(model: RadioModel, random: Random): number {
  const missed = retransmissions(model.loss, random);
  return Math.round((random() + missed) * model.advertisingIntervalMs);
}

export function connectionSetupDelayMs(model: RadioModel, random: Random): number {
  return advertisingDelayMs(model, random) + model.intervalMs;
}

export function reportedRssi(model: RadioModel, random: Random): number {
  return Math.max(-127, Math.min(20, Math.round(model.rssiDbm + (random() * 2 - 1) * 4)));
}

/** Checks user-given model fields; returns a problem or undefined. */
export function radioProblem(model: RadioModel): string | undefined {
  if (!(model.intervalMs >= 7.5 && model.intervalMs <= 4000)) return "interval must be 7.5-4000 ms";
  if (!(model.advertisingIntervalMs >= 20 && model.advertisingIntervalMs <= 10_240))
    return "advertising interval must be 20-10240 ms";
  if (!(model.loss >= 0 && model.loss < 1)) return "loss must be from 0 to below 100 %";
  if (!(model.rssiDbm >= -127 && model.rssiDbm <= 20)) return "rssi must be -127 to 20 dBm";
  if (!(Number.isInteger(model.packetsPerEvent) && model.packetsPerEvent >= 1))
    return "packets per event must be a whole number ≥ 1";
  return undefined;
}

/**
 * Request → response bytes, as a DP04S answers (docs/protocol.md §3–§7). Pure apart from the model it reads
 * and the factory-mode state it keeps. Every frame is built with the shared codec in src/protocol.
 */
import { encodeResponse } from "../protocol/frame.js";
import { encodeBasicInfo } from "../protocol/registers/basic-info.js";
import { encodeCellVoltages } from "../protocol/registers/cell-voltages.js";
import { decodeEepromString, encodeEepromString } from "../protocol/registers/eeprom-strings.js";
import { ERROR_COUNTER_NAMES, encodeErrorCounters } from "../protocol/registers/error-counters.js";
import { encodeHardwareVersion } from "../protocol/registers/hardware-version.js";
import { encodeParameter } from "../protocol/registers/parameter.js";
import type { RequestFrame } from "../protocol/types.js";
import type { BatteryModel } from "./model.js";
import { PARAMETER_RANGE } from "./parameters.js";
import { type BatteryProfile, productionDateRaw } from "./profile.js";
import type { BatterySnapshot } from "./snapshot.js";

/** Response status codes (docs/protocol.md §2, V11). */
export const STATUS = { ok: 0x00, noSuchRegister: 0x80, operationError: 0x81 } as const;

/**
 * A response: the whole frame, or (replay) the frame as the notifications it was captured in, with
 * optionally the wait before each one (ms; replay of a timed capture).
 */
export type Response = Uint8Array | { chunks: Uint8Array[]; delaysMs?: number[] };

/** Anything that turns a request into response bytes (the JBD responder, a replay script). */
export interface Responder {
  /** The response, or undefined for no answer. */
  respond(request: RequestFrame): Response | undefined;
  /** Forget session state (factory mode), as after a BMS reboot. */
  reset(): void;
}

const FACTORY_ENTER = [0x56, 0x78]; // docs/protocol.md §7
const FACTORY_EXIT = [0x00, 0x00];
const FACTORY_EXIT_SAVE = [0x28, 0x28];

const sameBytes = (data: Uint8Array, expected: readonly number[]): boolean =>
  data.length === expected.length && expected.every((b, i) => data[i] === b);

type ReadHandler = (snapshot: BatterySnapshot, model: BatteryModel) => Uint8Array;

/** Read-only registers and their encoders; bytes come from the codec. */
const READS: Readonly<Record<number, ReadHandler>> = {
  3: (s, m) => encodeBasicInfo(basicInfoFields(s, m.profile)),
  4: (s) => encodeCellVoltages({ cellsMv: s.cellsMv }),
  5: (_s, m) => encodeHardwareVersion({ text: m.profile.model }),
  // the EEPROM strings (manufacturer, device name, barcode) read back what factory mode wrote
  160: (_s, m) => encodeEepromString({ text: m.eeprom.texts.get(0xa0) ?? "" }),
  161: (_s, m) => encodeEepromString({ text: m.eeprom.texts.get(0xa1) ?? "" }),
  162: (_s, m) => encodeEepromString({ text: m.eeprom.texts.get(0xa2) ?? "" }),
  170: (s) => encodeErrorCounters({ counters: errorCounters(s.errorCounters) }),
};

function errorCounters(words: readonly number[]): Record<string, number> {
  return Object.fromEntries(words.slice(0, 12).map((count, i) => [ERROR_COUNTER_NAMES[i], count]));
}

/** The 0x03 fields for a snapshot (docs/protocol.md §3; the 9-byte tail per §3.2 on DP04S firmware). */
export function basicInfoFields(s: BatterySnapshot, profile: BatteryProfile) {
  const fields = {
    voltageV: s.voltageV,
    currentA: s.currentA,
    remainingAh: s.remainingAh,
    nominalAh: s.nominalAh,
    cycles: s.cycles,
    productionDateRaw: productionDateRaw(profile.productionDate),
    balanceRaw: s.balanceRaw,
    protectionRaw: s.protectionRaw,
    softwareVersionRaw: profile.softwareVersionRaw,
    socPct: s.socPct,
    fetRaw: s.fetRaw,
    cellCount: s.cellsMv.length,
    temperaturesC: s.temperaturesC,
  };
  if (!profile.extensionTail) return fields;
  // Every observed DP04S frame repeats the remaining capacity and has balance current 0 (docs/protocol.md §3.2).
  const extension = {
    humidityPct: 0,
    alarmRaw: 0,
    fullChargeAh: s.nominalAh,
    remainingAh: s.remainingAh,
    balanceCurrentRaw: 0,
  };
  return { ...fields, extension };
}

const isParameter = (register: number): boolean =>
  register >= PARAMETER_RANGE.first && register <= PARAMETER_RANGE.last;
const isEepromString = (register: number): boolean => register >= 0xa0 && register <= 0xa2;

/**
 * Factory mode as a JBD does it: parameter reads and writes need it (status 0x81 outside, as in the
 * V1.3 capture); a write applies at once and reads back; `28 28` saves to the EEPROM, `00 00` leaves the
 * working copy as it is, unsaved, so a reboot brings back the saved value (src/emulator/eeprom.ts).
 * A register the BMS does not have answers 0x80 whether it is read or written.
 */
export class JbdResponder implements Responder {
  readonly #model: BatteryModel;
  #factoryMode = false;

  constructor(model: BatteryModel) {
    this.#model = model;
  }

  get factoryMode(): boolean {
    return this.#factoryMode;
  }

  reset(): void {
    this.#factoryMode = false;
  }

  respond(request: RequestFrame): Uint8Array | undefined {
    const { register } = request;
    return request.op === "read" ? this.#read(register) : this.#write(register, request.data);
  }

  #read(register: number): Uint8Array {
    const handler = READS[register];
    if (handler) return encodeResponse(register, STATUS.ok, handler(this.#model.snapshot(), this.#model));
    if (!isParameter(register)) return encodeResponse(register, STATUS.noSuchRegister, new Uint8Array(0));
    const raw = this.#model.readParameter(register);
    if (raw === undefined) return encodeResponse(register, STATUS.noSuchRegister, new Uint8Array(0));
    // docs/protocol.md §6: parameter reads outside factory mode answer status 0x81
    if (!this.#factoryMode) return encodeResponse(register, STATUS.operationError, new Uint8Array(0));
    return encodeResponse(register, STATUS.ok, encodeParameter({ rawU16: raw }));
  }

  #write(register: number, data: Uint8Array): Uint8Array {
    const status = this.#applyWrite(register, data);
    return encodeResponse(register, status, new Uint8Array(0));
  }

  #applyWrite(register: number, data: Uint8Array): number {
    if (register === 0x00) {
      if (!sameBytes(data, FACTORY_ENTER)) return STATUS.operationError;
      this.#factoryMode = true;
      return STATUS.ok;
    }
    if (register === 0x01) return this.#exitFactory(data);
    if (register === 0xe1) {
      // docs/protocol.md §7: `00 XX`, bit0 = charge FET off, bit1 = discharge FET off; no factory mode needed
      if (data.length !== 2) return STATUS.operationError;
      this.#model.setForcedOff(data[1] as number);
      return STATUS.ok;
    }
    if (isEepromString(register)) return this.#writeString(register, data);
    if (!isParameter(register) || this.#model.readParameter(register) === undefined)
      return STATUS.noSuchRegister;
    if (!this.#factoryMode || data.length !== 2) return STATUS.operationError;
    this.#model.writeParameter(register, ((data[0] as number) << 8) | (data[1] as number));
    return STATUS.ok;
  }

  /** 0xA0–0xA2 take the same length-prefixed text they answer with (docs/protocol.md §5). */
  #writeString(register: number, data: Uint8Array): number {
    if (!this.#factoryMode) return STATUS.operationError;
    const text = decodeEepromString(data);
    if (!text.ok || data[0] !== data.length - 1) return STATUS.operationError;
    this.#model.eeprom.setText(register, text.value.text);
    return STATUS.ok;
  }

  #exitFactory(data: Uint8Array): number {
    const save = sameBytes(data, FACTORY_EXIT_SAVE);
    if (!save && !sameBytes(data, FACTORY_EXIT)) return STATUS.operationError;
    if (save) {
      this.#model.eeprom.save();
      this.#model.clearErrorCounters();
    }
    this.#factoryMode = false;
    return STATUS.ok;
  }
}

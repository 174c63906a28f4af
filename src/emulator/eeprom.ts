/**
 * The BMS's settings as a real JBD keeps them: a working copy the firmware runs on, and the EEPROM it
 * was loaded from at power-up. A factory-mode write changes the working copy at once (it reads back and
 * takes effect); "exit and save" (0x01 `28 28`) writes the working copy to the EEPROM; a reboot reloads
 * the working copy from the EEPROM, so a write that was never saved is gone after a power cycle.
 * Words are the 2-byte parameters 0x10–0x3F; texts are the length-prefixed strings 0xA0–0xA2.
 */
import { parametersFromProfile } from "./parameters.js";
import type { BatteryProfile } from "./profile.js";
export class Eeprom {
  /** The working copy (register → raw word); the protection logic reads its thresholds here. */
  readonly words: Map<number, number>;
  readonly texts: Map<number, string>;
  readonly #savedWords: Map<number, number>;
  readonly #savedTexts: Map<number, string>;

  constructor(words: ReadonlyMap<number, number>, texts: ReadonlyMap<number, string>) {
    this.words = new Map(words);
    this.texts = new Map(texts);
    this.#savedWords = new Map(words);
    this.#savedTexts = new Map(texts);
  }

  /** False for a register this BMS does not have (the caller answers status 0x80). */
  setWord(register: number, raw: number): boolean {
    if (!this.words.has(register)) return false;
    this.words.set(register, raw & 0xffff);
    return true;
  }

  setText(register: number, text: string): boolean {
    if (!this.texts.has(register)) return false;
    this.texts.set(register, text);
    return true;
  }

  /** What survives a power cycle, for a register (undefined when there is no such register). */
  savedWord(register: number): number | undefined {
    return this.#savedWords.get(register);
  }

  save(): void {
    copyInto(this.#savedWords, this.words);
    copyInto(this.#savedTexts, this.texts);
  }

  /** Power-up: the working copy is reloaded from the EEPROM. */
  reload(): void {
    copyInto(this.words, this.#savedWords);
    copyInto(this.texts, this.#savedTexts);
  }
}

function copyInto<V>(target: Map<number, V>, source: ReadonlyMap<number, V>): void {
  target.clear();
  for (const [key, value] of source) target.set(key, value);
}

/** A profile's settings as they leave the factory: its parameters, manufacturer, device name, barcode. */
export function eepromFromProfile(profile: BatteryProfile): Eeprom {
  const texts = new Map([
    [0xa0, profile.manufacturer],
    [0xa1, profile.model],
    [0xa2, profile.barcode],
  ]);
  return new Eeprom(parametersFromProfile(profile), texts);
}

/** Parsers for bms-emu's flag values: each returns the value or throws a one-line usage problem. */
import { BmsError } from "../errors.js";
import { normalizeMac } from "../transport/address.js";
import type { FaultSpec } from "./behaviors/faults.js";
import { parseFaultSpec } from "./behaviors/parse-fault.js";

const usage = (message: string): BmsError => new BmsError("USAGE", message);

/** `HOST:PORT`, `[::1]:PORT` or `:PORT` (all interfaces); port 0 = any free port. */
export function parseHostPort(text: string, flag = "--tcp"): { host: string; port: number } {
  const colon = text.lastIndexOf(":");
  if (colon < 0) throw usage(`${flag} "${text}" needs HOST:PORT (e.g. 127.0.0.1:8899)`);
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, "$1") || "0.0.0.0";
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw usage(`${flag} "${text}" has an invalid port (0–65535)`);
  return { host, port };
}

export function parsePositiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw usage(`${flag} "${text}" must be a positive number`);
  return value;
}

export function parseCount(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 64) throw usage(`--count "${text}" must be 1–64`);
  return value;
}

export function parseSeed(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw usage(`--seed "${text}" must be an integer`);
  return value;
}

export function parseFault(text: string): FaultSpec {
  const parsed = parseFaultSpec(text);
  if (!parsed.ok) throw usage(parsed.problem);
  return parsed.spec;
}

/** `--mac A5:C2:37:3C:76:D2[,…]`: one MAC per battery, battery 1 first, no repeats. */
export function parseMacList(text: string, count: number): string[] {
  const macs = text.split(",").map((part) => {
    const mac = normalizeMac(part);
    if (!mac) throw usage(`--mac "${part.trim()}" is not a MAC address (e.g. A5:C2:37:3C:76:D2)`);
    return mac;
  });
  if (macs.length > count) throw usage(`--mac gives ${macs.length} addresses for ${count} batteries`);
  const repeated = macs.find((mac, i) => macs.indexOf(mac) !== i);
  if (repeated) throw usage(`--mac ${repeated} is given twice`);
  return macs;
}

/**
 * Where this process's default MACs start: drawn at random, so two `bms-emu` started without `--mac`
 * do not both call their battery A5:C2:37:E0:00:01 (a bank of 64 still fits below E0:FF:FF).
 */
export function randomMacBase(random: () => number = Math.random): number {
  return Math.floor(random() * (0xffff - 64));
}

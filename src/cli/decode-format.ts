/**
 * `bms-bridge decode`: the pure part. Hex text -> described items (the JSON contract) -> output lines.
 * The command file only reads argv/stdin and writes stdout.
 */
import { FrameAssembler } from "../protocol/assembler.js";
import { type DescribedItem, describeItem, type JsonValue } from "../protocol/describe.js";
import { parseHex } from "../protocol/hex.js";
import { EEPROM_STRING_REGISTERS } from "../protocol/registers/eeprom-strings.js";
import { isParameterRegister } from "../protocol/registers/parameter.js";
import { usageError } from "./run-cli.js";

/** Every frame and rejected run in the text, in stream order. Throws a USAGE error on unusable hex. */
export function decodeHexText(text: string): DescribedItem[] {
  const parsed = parseHex(text);
  if (!parsed.ok) throw usageError(`decode: ${parsed.error.message}`);
  if (parsed.value.length === 0) throw usageError("decode: no hex bytes in the input");
  const assembler = new FrameAssembler();
  return [...assembler.push(parsed.value), ...assembler.end()].map(describeItem);
}

/** `--json`: one object per line. */
export function formatJsonLines(items: DescribedItem[]): string {
  return items.map((item) => `${JSON.stringify(item)}\n`).join("");
}

const REGISTER_NAMES: Readonly<Record<number, string>> = {
  0: "enter factory mode",
  1: "exit factory mode",
  3: "basic info",
  4: "cell voltages",
  5: "hardware version",
  170: "error counters",
  225: "MOSFET control",
  250: "parameters by index",
  ...Object.fromEntries(
    Object.entries(EEPROM_STRING_REGISTERS).map(([reg, name]) => [reg, name.replace("_", " ")]),
  ),
};

export function registerName(register: number): string {
  return REGISTER_NAMES[register] ?? (isParameterRegister(register) ? "parameter" : "register");
}

const hexByte = (value: number) => `0x${value.toString(16).toUpperCase().padStart(2, "0")}`;
const fixed = (value: JsonValue | undefined, digits: number, unit: string) =>
  typeof value === "number" ? `${value.toFixed(digits)} ${unit}` : "-";
const names = (list: JsonValue | undefined) =>
  Array.isArray(list) && list.length > 0 ? list.join(", ") : "none";

type Row = [label: string, value: string];

/** Human-readable blocks, one per item, labels aligned. */
export function formatTable(items: DescribedItem[]): string {
  return items.map((item, i) => formatBlock(item, i + 1)).join("\n");
}

function formatBlock(item: DescribedItem, index: number): string {
  const rows = rowsFor(item);
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  const body = rows.map(([label, value]) => `    ${label.padEnd(width)}  ${value}`);
  return [`#${index} ${heading(item)}`, ...body, `    ${"hex".padEnd(width)}  ${item.hex}`, ""].join("\n");
}

function heading(item: DescribedItem): string {
  const register = typeof item.register === "number" ? item.register : undefined;
  const name = register === undefined ? "" : ` ${hexByte(register)} ${registerName(register)}`;
  switch (item.kind) {
    case "invalid":
      return `INVALID (${item.error})`;
    case "module":
      return `BLE module frame, command ${hexByte(item.cmd as number)}`;
    case "request":
      return `${item.op} request${name}`;
    case "ack":
      return `write acknowledged${name}`;
    case "error_reply":
      return `ERROR reply${name}: ${item.status_name} (status ${hexByte(item.status as number)})`;
    default:
      return `response${name}`;
  }
}

function rowsFor(item: DescribedItem): Row[] {
  if (item.kind === "module" || item.kind === "request") return [["data", String(item.data_hex || "(none)")]];
  if (item.kind === "error_reply") return [["meaning", String(item.status_meaning)]];
  if (item.kind !== "response") return [];
  if (item.decode_error !== undefined) return [["decode error", String(item.decode_error)]];
  if (item.voltage_v !== undefined) return basicInfoRows(item);
  if (item.cell_voltages_mv !== undefined) return cellRows(item);
  if (item.text !== undefined) return [["text", JSON.stringify(item.text)]];
  if (item.counters !== undefined) {
    return Object.entries(item.counters as Record<string, number>).map(([name, count]) => [
      name,
      String(count),
    ]);
  }
  if (item.raw_u16 !== undefined) {
    const raw = item.raw_u16 as number;
    return [["raw value", `${raw} (0x${raw.toString(16).toUpperCase().padStart(4, "0")})`]];
  }
  return [["data", String(item.data_hex)]];
}

function basicInfoRows(item: DescribedItem): Row[] {
  const raw16 = (value: JsonValue | undefined, width: number) =>
    `0x${Number(value).toString(16).toUpperCase().padStart(width, "0")}`;
  const temps = item.temperatures_c as number[];
  const rows: Row[] = [
    ["voltage", fixed(item.voltage_v, 2, "V")],
    ["current", `${fixed(item.current_a, 2, "A")}${Number(item.current_a) < 0 ? " (discharging)" : ""}`],
    ["power", fixed(item.power_w, 1, "W")],
    ["remaining capacity", fixed(item.remaining_capacity_ah, 2, "Ah")],
    ["nominal capacity", fixed(item.nominal_capacity_ah, 2, "Ah")],
    ["state of charge", `${item.soc_pct} %`],
    ["cycles", String(item.cycles)],
    ["production date", String(item.production_date)],
    ["cells", String(item.cell_count)],
    ["temperatures", temps.length ? `${temps.map((t) => t.toFixed(1)).join(", ")} °C` : "none"],
    ["balancing cells", `${names(item.balancing_cells)} (${raw16(item.balance_raw, 8)})`],
    ["protection", `${names(item.protection)} (${raw16(item.protection_raw, 4)})`],
    [
      "MOSFETs",
      `charge ${item.charge_fet_on ? "on" : "off"}, discharge ${item.discharge_fet_on ? "on" : "off"} (${raw16(item.fet_raw, 2)})`,
    ],
    ["software version", raw16(item.software_version_raw, 2)],
  ];
  const ext = item.extension as Record<string, JsonValue> | undefined;
  if (ext) {
    rows.push(
      ["humidity", `${ext.humidity_pct} %`],
      ["alarms", `${names(ext.alarms)} (${raw16(ext.alarm_raw, 4)})`],
      ["full charge capacity", fixed(ext.full_charge_capacity_ah, 2, "Ah")],
      ["remaining (extension)", fixed(ext.remaining_capacity_ah, 2, "Ah")],
      ["balance current raw", raw16(ext.balance_current_raw, 4)],
    );
  }
  return rows;
}

function cellRows(item: DescribedItem): Row[] {
  const cells = item.cell_voltages_mv as number[];
  const rows: Row[] = cells.map((mv, i) => [`cell ${i + 1}`, `${(mv / 1000).toFixed(3)} V`]);
  if (cells.length > 0) {
    rows.push(
      [
        "min / max",
        `${fixed(Number(item.min_mv) / 1000, 3, "V")} / ${fixed(Number(item.max_mv) / 1000, 3, "V")}`,
      ],
      ["delta", `${item.delta_mv} mV`],
    );
  }
  return rows;
}

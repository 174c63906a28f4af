/**
 * HCI selection shared by bms-bridge (noble) and bms-emu (bleno): `native` (hci0), `native:N` (hciN),
 * or `uart:/path/to/tty` (an HCI controller behind a serial port, e.g. the virtual BLE lab's ptys).
 */
export type HciSelection =
  | { driver: "native"; deviceId: number }
  | { driver: "uart"; port: string; baudRate: number };

export const HCI_UART_BAUD = 1_000_000;

export function parseHci(text: string): { ok: true; hci: HciSelection } | { ok: false; problem: string } {
  const raw = text.trim();
  if (raw === "native" || raw === "") return { ok: true, hci: { driver: "native", deviceId: 0 } };
  const native = /^native:(\d+)$/.exec(raw);
  if (native) return { ok: true, hci: { driver: "native", deviceId: Number(native[1]) } };
  if (raw.startsWith("uart:") && raw.length > "uart:".length) {
    return { ok: true, hci: { driver: "uart", port: raw.slice("uart:".length), baudRate: HCI_UART_BAUD } };
  }
  return { ok: false, problem: `"${raw}" is not an HCI selection (native, native:N or uart:/dev/ttyX)` };
}

/** Comma-separated list, as `bms-emu --count N --hci uart:/a,uart:/b`. */
export function parseHciList(
  text: string,
): { ok: true; hcis: HciSelection[] } | { ok: false; problem: string } {
  const hcis: HciSelection[] = [];
  for (const part of text.split(",")) {
    const parsed = parseHci(part);
    if (!parsed.ok) return parsed;
    hcis.push(parsed.hci);
  }
  return { ok: true, hcis };
}

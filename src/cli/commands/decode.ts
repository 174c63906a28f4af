/** `bms-bridge decode [--json] [HEX…]`: decode pasted captures (hex on stdin when no arguments). */
import type { Command } from "commander";
import { usageError } from "../run-cli.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function registerDecode(program: Command): void {
  program
    .command("decode")
    .description(
      "decode JBD frames from hex: arguments, or stdin when none (several frames and junk allowed)",
    )
    .argument(
      "[hex...]",
      'hex bytes; spaces, colons, commas and 0x are optional (e.g. "DD A5 03 00 FF FD 77")',
    )
    .option("--json", "one JSON object per line for each frame or invalid run, in stream order")
    .action(async (hex: string[], options: { json?: boolean }) => {
      if (hex.length === 0 && process.stdin.isTTY) {
        throw usageError("decode: no input; pass hex as arguments or pipe it on stdin");
      }
      const text = hex.length > 0 ? hex.join(" ") : await readStdin();
      const { decodeHexText, formatJsonLines, formatTable } = await import("../decode-format.js");
      const items = decodeHexText(text);
      process.stdout.write(options.json ? formatJsonLines(items) : formatTable(items));
    });
}

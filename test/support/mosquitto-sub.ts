/** Reads retained messages with `mosquitto_sub`, a client we did not write. */
import { spawnSync } from "node:child_process";

export interface SubMessage {
  retained: boolean;
  payload: string;
}

/** Every retained message under `filter` (topic → message), via `mosquitto_sub --retained-only`. */
export function mosquittoSubRetained(
  port: number,
  filter: string,
  extraArgs: string[] = [],
): Map<string, SubMessage> {
  const result = spawnSync(
    "mosquitto_sub",
    [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      filter,
      "--retained-only",
      "-W",
      "1",
      "-F",
      "%r\t%t\t%p",
      ...extraArgs,
    ],
    { encoding: "utf8", timeout: 10_000 },
  );
  const messages = new Map<string, SubMessage>();
  for (const line of result.stdout.split("\n")) {
    const [flag, topic, ...rest] = line.split("\t");
    if (topic === undefined || flag === undefined) continue;
    messages.set(topic, { retained: flag === "1", payload: rest.join("\t") });
  }
  return messages;
}

/**
 * `GET /api/events`: server-sent events. The first event is the current state; then one `update` per
 * sample (every second, with the chart samples) and one after every change, so the page follows a PATCH
 * at once. A comment line every 15 s keeps proxies from closing an idle stream.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorConsole } from "./console.js";

const KEEPALIVE_MS = 15_000;

export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  console_: EmulatorConsole,
  headers: Record<string, string>,
): void {
  res.writeHead(200, {
    ...headers,
    "Content-Type": "text/event-stream; charset=utf-8",
    Connection: "keep-alive",
  });
  const send = (data: unknown): void => {
    res.write(`event: update\ndata: ${JSON.stringify(data)}\n\n`);
  };
  send({ batteries: console_.list() });
  const off = console_.onUpdate(send);
  const keepalive = setInterval(() => res.write(": keep-alive\n\n"), KEEPALIVE_MS);
  keepalive.unref();
  const end = (): void => {
    off();
    clearInterval(keepalive);
  };
  req.on("close", end);
  res.on("error", end);
}

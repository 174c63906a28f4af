/**
 * How `npm run vble -- unplug 1` reaches the lab: the holder process (cli.ts `hold`) owns the lab and
 * serves one JSON request per connection on a unix socket in the per-user cache directory.
 */
import { rmSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import type { Lab } from "./lab.js";
import { labCacheDir } from "./lab.js";
import { DEFAULT_RADIO, type RadioModel, radioProblem } from "./radio.js";
import type { EndpointState } from "./relay.js";

export const CONTROL_SOCKET = join(labCacheDir(), "control.sock");

export type ControlRequest =
  | { op: "unplug" | "replug" | "thaw" | "state"; endpoint: number }
  | { op: "freeze"; endpoint: number; untilReset: boolean }
  | { op: "radio"; endpoint: number; model: Partial<RadioModel> | "off" };

export type ControlReply = { ok: true; states: EndpointState[] } | { ok: false; error: string };

async function apply(lab: Lab, request: ControlRequest): Promise<void> {
  const { endpoint } = request;
  switch (request.op) {
    case "unplug":
      return lab.unplug(endpoint);
    case "replug":
      return lab.replug(endpoint);
    case "freeze":
      return lab.freeze(endpoint, { untilReset: request.untilReset });
    case "thaw":
      return lab.thaw(endpoint);
    case "radio": {
      if (request.model === "off") return lab.setRadio(endpoint, undefined);
      const model = { ...DEFAULT_RADIO, ...request.model };
      const problem = radioProblem(model);
      if (problem) throw new Error(problem);
      return lab.setRadio(endpoint, model);
    }
    case "state":
      return;
  }
}

/** Serves control requests for `lab` until the returned server is closed. */
export function serveControl(lab: Lab, path = CONTROL_SOCKET): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString("utf8");
      if (!text.includes("\n")) return;
      const request = JSON.parse(text) as ControlRequest;
      apply(lab, request).then(
        () => socket.end(`${JSON.stringify(statesOf(lab))}\n`),
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          socket.end(`${JSON.stringify({ ok: false, error: message })}\n`);
        },
      );
    });
    socket.on("error", () => {});
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve(server));
  });
}

function statesOf(lab: Lab): ControlReply {
  return { ok: true, states: lab.ptys.map((_, i) => lab.state(i)) };
}

/** Sends one request to the running lab's holder. */
export function sendControl(request: ControlRequest, path = CONTROL_SOCKET): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let text = "";
    socket.on("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("data", (chunk) => {
      text += chunk.toString("utf8");
    });
    socket.on("end", () => {
      try {
        resolve(JSON.parse(text) as ControlReply);
      } catch {
        reject(new Error("the lab holder gave no answer"));
      }
    });
    socket.on("error", () =>
      reject(new Error("no virtual BLE lab of yours is running (npm run vble -- start)")),
    );
  });
}

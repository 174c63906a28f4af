/**
 * Worker-thread entry of loadConfigIsolated (load-isolated.ts): validates with the zod schema here, so
 * that zod (and yaml) are loaded in this thread's heap and go away with it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { isBmsError } from "../errors.js";
import { type ConfigSources, loadConfig } from "./load.js";
import type { LoadReply } from "./load-isolated.js";

function reply(): LoadReply {
  try {
    return { ok: true, config: loadConfig(workerData as ConfigSources) };
  } catch (error) {
    if (isBmsError(error))
      return { ok: false, code: error.code, message: error.message, context: error.context };
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

parentPort?.postMessage(reply());

/**
 * loadConfig (load.ts) run in a worker thread, for the long-running commands. Validation needs zod, and
 * an imported module stays loaded for the life of the process: zod's ~100 modules and the heap they
 * hold would stay resident in a bridge that runs for months, for a check made once at start. In a
 * worker they are loaded in that thread's own heap and freed when it ends; the bridge receives the
 * resolved configuration as plain data. Same sources, same result, same errors (BmsError with the same
 * code, message and context) as loadConfig: the worker runs loadConfig itself.
 * The build (package.json "build") bundles the worker with esbuild into one file holding only the parts of
 * zod the schema uses (zod's ~95 modules, 60 of them error-message locales, are 108 KB bundled): the worker
 * is the bridge's start-up peak, 69–71 → 66–67 MB at 8 batteries. docs/performance.md ("Memory").
 */
import { Worker } from "node:worker_threads";
import { BmsError, type BmsErrorCode } from "../errors.js";
import type { BridgeConfig } from "./config.js";
import type { ConfigSources } from "./load.js";

/** What the worker posts back. */
export type LoadReply =
  | { ok: true; config: BridgeConfig }
  | { ok: false; code?: BmsErrorCode; message: string; context?: Record<string, unknown> };

/** ConfigSources without the functions (a worker receives data only); the worker uses the defaults. */
export type IsolatedConfigSources = Omit<ConfigSources, "randomHex">;

function startWorker(sources: IsolatedConfigSources): Worker {
  if (!import.meta.url.endsWith(".ts"))
    return new Worker(new URL("./load-worker.js", import.meta.url), { workerData: sources });
  // From the sources (tsx: `npm run bridge`, the e2e tests) a worker does not inherit tsx's loader on
  // Node 20, so it registers it before it imports the TypeScript entry.
  const entry = JSON.stringify(new URL("./load-worker.ts", import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const code = `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`;
  return new Worker(code, { eval: true, workerData: sources });
}

/** Validates and resolves in a worker thread; throws what loadConfig would throw. */
export async function loadConfigIsolated(sources: IsolatedConfigSources): Promise<BridgeConfig> {
  const worker = startWorker(sources);
  const reply = await new Promise<LoadReply>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`configuration check ended early (exit code ${code})`)));
  });
  await worker.terminate();
  if (reply.ok) return reply.config;
  if (reply.code === undefined) throw new Error(reply.message);
  throw new BmsError(reply.code, reply.message, reply.context ?? {});
}

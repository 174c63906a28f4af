/** Reads the config file named by --config / BMS_CONFIG; a missing file is a user error (exit 2). */
import { readFile } from "node:fs/promises";
import { BmsError } from "../errors.js";

export async function readConfigFile(path: string): Promise<{ path: string; text: string }> {
  try {
    return { path, text: await readFile(path, "utf8") };
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (error as Error).message;
    throw new BmsError("CONFIG_INVALID", `--config ${path}: ${why}`, { path }, { cause: error });
  }
}

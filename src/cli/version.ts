import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
/** Read from package.json so `--version` can never disagree with what npm installed. */
export const PACKAGE_VERSION: string = (require("../../package.json") as { version: string }).version;

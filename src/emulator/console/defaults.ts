/** Where the console listens by default: loopback only, so no token is needed. A module of its own so
 * the CLI can name it without loading the console. */
export const DEFAULT_CONSOLE = { host: "127.0.0.1", port: 8090 } as const;

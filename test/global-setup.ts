/**
 * Global setup for the whole suite. Each environment piece (virtual BLE lab, Mosquitto) registers
 * itself here so that suites needing it can find it through environment variables.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const teardowns: Array<() => Promise<void>> = [];
  return async () => {
    for (const teardown of teardowns.reverse()) await teardown();
  };
}

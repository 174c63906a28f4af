/** Every benchmark section: adding one is one file in bench/ and one line here. */
import { bleSection } from "./ble.js";
import { bleLinkSection } from "./ble-link.js";
import { decodeSection } from "./decode.js";
import { fuzzSection } from "./fuzz.js";
import { latencySection } from "./latency.js";
import { scaleSection } from "./scale.js";
import { siteSection } from "./site.js";
import { startupSection } from "./startup.js";
import type { BenchSection } from "./types.js";

export const SECTIONS: BenchSection[] = [
  decodeSection,
  fuzzSection,
  bleSection,
  bleLinkSection,
  latencySection,
  startupSection,
  scaleSection,
  siteSection,
];

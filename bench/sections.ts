/** Every benchmark section: adding one is one file in bench/ and one line here. */
import { bleSection } from "./ble.js";
import { decodeSection } from "./decode.js";
import { fuzzSection } from "./fuzz.js";
import type { BenchSection } from "./types.js";

export const SECTIONS: BenchSection[] = [decodeSection, fuzzSection, bleSection];

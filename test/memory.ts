import { Layer } from "effect"
import * as MemoryRailBook from "../src/ports/memory/railBook.js"
import * as SimulatedRail from "../src/ports/memory/settlementRail.js"

/** The simulated rail on books in this process, with its `MemoryRail` handle (and the book itself). */
export const simulatedRail = (options: SimulatedRail.SimulatedRailOptions) =>
  Layer.mergeAll(SimulatedRail.layer(options), SimulatedRail.handle).pipe(Layer.provideMerge(MemoryRailBook.layer))

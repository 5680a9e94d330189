import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const API = join(import.meta.dirname, "../../src/http/api")

describe("the HTTP contract (src/http/api)", () => {
  it("imports only effect, @effect/platform, the domain and itself: clients use it as is", () => {
    const imports = readdirSync(API).flatMap((file) =>
      [...readFileSync(join(API, file), "utf8").matchAll(/from "([^"]+)"/g)].map((m) => `${file}: ${m[1]}`)
    )
    expect(imports.length).toBeGreaterThan(0)
    const foreign = imports.filter(
      (line) => !/: (effect|@effect\/platform|\.\.\/\.\.\/domain\/[\w.]+|\.\/[\w.]+)$/.test(line)
    )
    expect(foreign).toEqual([])
  })
})

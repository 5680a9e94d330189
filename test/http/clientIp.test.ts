import { describe, expect, it } from "vitest"
import { clientIp } from "../../src/http/clientIp.js"

describe("clientIp", () => {
  it("is the socket's peer unless proxies are trusted", () => {
    expect(clientIp("10.0.0.5", "1.2.3.4", 0)).toBe("10.0.0.5")
    expect(clientIp(undefined, undefined, 0)).toBe("unknown")
    expect(clientIp("10.0.0.5", undefined, 1)).toBe("10.0.0.5")
  })

  it("counts trusted hops from the right of X-Forwarded-For", () => {
    expect(clientIp("10.0.0.5", "6.6.6.6, 1.2.3.4", 1)).toBe("1.2.3.4")
    expect(clientIp("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9", 2)).toBe("1.2.3.4")
    expect(clientIp("10.0.0.5", "1.2.3.4", 3)).toBe("1.2.3.4")
    expect(clientIp("10.0.0.5", " , ", 1)).toBe("10.0.0.5")
  })
})

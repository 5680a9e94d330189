import * as Http from "node:http"
import * as Net from "node:net"

export interface RawReply {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly text: string
}

/**
 * One request with the path sent exactly as written (fetch would normalise it):
 * `//api`, `/%61pi`, `/api;/` or the absolute form `http://x/api`.
 */
export const rawRequest = (
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {}
): Promise<RawReply> =>
  new Promise((resolve, reject) => {
    const request = Http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString("utf8")
        })
      )
    })
    request.on("error", reject)
    request.end()
  })

/** Writes `bytes` on a bare TCP connection and resolves with everything the server sent until it closed. */
export const rawExchange = (port: number, bytes: string | Buffer): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    const chunks: Array<Buffer> = []
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("error", (e: NodeJS.ErrnoException) =>
      // the server may reset a connection it has answered while we still write
      e.code === "ECONNRESET" || e.code === "EPIPE" ? resolve(Buffer.concat(chunks).toString("utf8")) : reject(e)
    )
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")))
    socket.write(bytes)
  })

/** A raw HTTP/1.1 response split into status, lower-cased headers and body. */
export const parseRawResponse = (text: string) => {
  const [head = "", ...rest] = text.split("\r\n\r\n")
  const [statusLine = "", ...headerLines] = head.split("\r\n")
  const headers = new Map(
    headerLines.map((line) => {
      const at = line.indexOf(":")
      return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()] as const
    })
  )
  return { status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") }
}

// A client in its own process, as an attacker is: connects, sends COUNT frames of EVENT, reports.
//   node test/socketio/flooder.mjs <url> <event> <count> <json frame>
import { io } from "socket.io-client"

const [url, event, count, frame] = process.argv.slice(2)
const socket = io(url, { forceNew: true, reconnection: false, transports: ["websocket"] })
socket.once("connect_error", (error) => {
  console.log(`refused ${error.message}`)
  process.exit(1)
})
socket.once("connect", () => {
  const payload = JSON.parse(frame)
  for (let i = 0; i < Number(count); i++) socket.emit(event, payload)
  console.log("sent")
})
socket.once("disconnect", (reason) => {
  console.log(`disconnected ${reason}`)
  process.exit(0)
})

// The Socket.IO client as an ES module for the agent console
// (chatserver/web/static/console.js imports it from /static/vendor/socket.io.min.js).
export { io } from "socket.io-client";

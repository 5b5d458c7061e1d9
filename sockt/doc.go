// Package sockt tests sock handlers and the servers that negotiate them, as
// net/http/httptest tests HTTP handlers: start the server production serves,
// connect with the requests clients send, drive each connection as a client
// would, and assert what it pushes, how it closes and why it terminated.
//
// # Servers and handlers
//
// [NewServer] takes the user's real [sockhttp.Server] — factory, origin
// check, subprotocols, refusals — and runs it in the simulator (package
// sim): the same Session as production, on a virtual clock, so a test takes
// microseconds, timers fire when the test calls [Conn.Advance], and
// [Conn.RefutePush] needs no timeout. The factory sees a synthetic request,
// and the handshake is decided by [sockhttp.Server.Negotiate], the code
// ServeHTTP runs. [DialServer] serves the same server on a loopback socket
// to a gorilla/websocket client, through ServeHTTP. [RunServer] runs one
// test both ways, as subtests "sim" and "loopback": a server that passes
// both behaves the same in tests and in production.
//
// [Server.Connect] opens a connection with an upgrade request built with
// httptest.NewRequest: path and query, Authorization, cookies, Origin, the
// subprotocols offered. A refused connection is a [Conn] too:
// [Conn.ExpectRefused] checks its status and returns the response, and
// [Conn.ExpectAccepted] the subprotocol and headers of an accepted one.
//
// For tests that do not care about the request, [New], [Dial] and [Run]
// take a function that makes the handler, and accept every connection.
//
// # Driving
//
// [Conn.SendText], [Conn.SendBinary], [Conn.Ping] and [Conn.Close] act as
// the client; [Conn.SendInfo] delivers an info to the handler, as another
// goroutine would; [Conn.Advance] lets time pass; [Server.Shutdown] shuts
// the server down for real; [Conn.Connect] opens another connection to the
// same server, for handlers that talk to each other.
//
// # Asserting
//
// [Conn.ExpectPush] takes the next pushed message and checks it with a
// [Matcher]: [Equal], [Contains], [Regexp], [JSON] or [Any]
// ([Conn.ExpectText] and [Conn.ExpectBinary] are shorthands).
// [Conn.RefutePush], [Conn.ExpectPong], [Conn.ExpectClose] and
// [Conn.ExpectTerminate] complete the set. Frames the client read wait until
// an expectation of their kind takes them: checking a message does not lose
// the pong before it. Frames are compared byte for byte, and a failure stops
// the test with a go-cmp diff (-want +got) of the whole payloads and the end
// of the transcript. [Golden] compares a simulator transcript with a file
// under testdata/.
//
// At cleanup every connection still open is closed by its client, and the
// test fails unless Terminate ran exactly once on each, and if a handler had
// a bug that sock survived (see [Conn]).
package sockt

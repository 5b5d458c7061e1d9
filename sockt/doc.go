// Package sockt tests sock handlers, as net/http/httptest tests HTTP
// handlers: start a handler, drive it as a client would, and assert what it
// pushes, how it closes and why it terminated.
//
// [New] runs the handler in the simulator (package sim): the same Session
// as production, on a virtual clock, so a test takes microseconds, timers
// fire when the test calls [Conn.Advance], and [Conn.RefutePush] needs no
// timeout. [Dial] runs it behind sockhttp on a loopback socket with a real
// gorilla/websocket client. [Run] runs one test function both ways, as
// subtests "sim" and "loopback": a handler that passes both behaves the same
// in tests and in production.
//
// # Driving
//
// [Conn.SendText], [Conn.SendBinary], [Conn.Ping] and [Conn.Close] act as the
// client; [Conn.Send] delivers an info message to the handler, [Conn.Advance]
// lets time pass, [Conn.Shutdown] plays a server going away, and
// [Conn.Connect] opens another connection to the same server for handlers
// that talk to each other.
//
// # Asserting
//
// [Conn.ExpectPush] takes the next pushed message and checks it with a
// [Matcher]: [Text], [Binary], [Contains], [Regexp], [JSON] or [Any]
// ([Conn.ExpectText] and [Conn.ExpectBinary] are shorthands).
// [Conn.RefutePush], [Conn.ExpectPong], [Conn.ExpectClose] and
// [Conn.ExpectTerminate] complete the set. A failure stops the test with a
// go-cmp diff (-want +got) and the end of the transcript. [Golden] compares a
// simulator transcript with a file under testdata/.
//
// At cleanup every connection still open is closed by its client, and the
// test fails unless Terminate ran exactly once on each.
package sockt

// Package sock is the WebSocket behaviour of sockkit: a connection's handler
// is a small state machine whose callbacks say what to push and when to close,
// and a transport-free [Session] enforces every rule of the lifecycle around
// it. The same Session runs under the production adapter (package
// sockkit/sock/sockhttp), the simulator and the test helpers, so a handler that
// passes its tests behaves the same on a real socket.
//
// # Handlers
//
// A [Handler] needs only HandleIn, which receives one whole text or binary
// message. Optional interfaces add the rest of the lifecycle: [InitHandler]
// when the connection opens, [ControlHandler] for pings and pongs,
// [InfoHandler] for messages from other goroutines and timers, and
// [TerminateHandler], called exactly once, last, with the [Reason] the
// connection ended. One handler value serves one connection and its callbacks
// never run concurrently, so it keeps its state in plain fields.
//
// Callbacks return a [Result]: [Continue], [Push] frames, [Stop], [StopWith]
// an error, or [Close] with a code and reason; Push(...).Close(...) pushes and
// then closes. Results that cannot be honoured, such as a close code a server
// may not send, close the connection with 1011 instead of producing a
// malformed frame.
//
// A payload handed to a callback is lent until the callback returns: the
// hosts reuse the buffer they read into. Push it back as it is, or copy it
// to keep it (see [Frame]).
//
// # Talking to a connection from elsewhere
//
// [Conn.SendInfo] queues a message for HandleInfo from any goroutine without ever
// blocking; [Conn.After] schedules one on the session's clock.
//
// # Drivers and transports
//
// [Session] takes events (Open, Receive, DeliverInfo, Tick, Fail, Shutdown),
// each with the current time, and returns frames to write ([Session.Output]),
// when to close the transport ([Session.Done]) and when to call again
// ([Session.Deadline]). [Serve] drives it over any [Transport]; implement
// Transport to host sock handlers on another WebSocket library.
//
// # Rules the Session keeps
//
// Text must be valid UTF-8 (else close 1007); messages may not exceed
// [Options].MaxMessageSize (else 1009); every ping is answered with a pong of
// the same payload before HandleControl runs; a panicking callback closes the
// connection with 1011 and Terminate sees a [*PanicError]; at most one close
// frame is sent and nothing after it; idle connections time out after
// [Options].IdleTimeout (60s by default).
package sock

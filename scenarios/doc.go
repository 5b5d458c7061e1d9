// Package scenarios runs scripted and generated lifecycles of WebSocket
// connections against the server production serves — its factory, its
// handlers — in the simulator or over a loopback socket, and checks sock's
// own rules after every step.
//
// # Scenario files
//
// A scenario is a small text file, one step a line: connections opened with
// their upgrade requests, what each client sends and expects back, time
// passing, infos, faults. [Parse] reads one ([ReadFile] from a file),
// [Scenario.String] prints it back in canonical form, and [Replay] (or
// [ReplayFile]) runs it as a test:
//
//	# The greeter welcomes whom it knows by name, and refuses the rest.
//	connect stranger /greet
//	stranger expect refused 401 "who are you?"
//	connect ada /greet?name=ada
//	  header Sec-WebSocket-Protocol: greet.v1
//	ada expect accepted greet.v1
//	ada expect text "hello, ada"
//	ada send ping "hb"
//	ada expect pong "hb"
//	ada info "news"
//	ada expect json {"news":"news","at":"<any>"}
//	@2.5s ada send text "bye" # time stamps are optional
//	ada expect close 4000 "bye, ada"
//	ada expect terminate normal
//
// The grammar, one line a step; NAME is a connection's name, STRING a Go
// string literal (escapes keep bytes that are not UTF-8 exact), HEX 0x and
// hex digits, PAYLOAD either, maybe repeated ("a"*40, 0x00*70000), DURATION
// as time.ParseDuration takes it:
//
//	line     = [ "@" DURATION ] [ step ] [ "#" comment ]
//	step     = "connect" NAME [ TARGET ]      followed by indented lines: "header" Name ":" value
//	         | "advance" DURATION | "shutdown" | "hold infos" | "deliver infos"
//	         | NAME "send" ( "text" | "ping" | "pong" ) PAYLOAD
//	         | NAME "send binary" PAYLOAD
//	         | NAME "send close" [ CODE [ STRING ] | HEX ]
//	         | NAME "send fragment" [ "text" | "binary" ] PAYLOAD [ "final" ]
//	         | NAME "violate" STRING
//	         | NAME ( "drop" | "stop reading" | "resume reading" | "ignore close" | "ignore pings" )
//	         | NAME "info" STRING
//	         | NAME "expect accepted" [ SUBPROTOCOL ]
//	         | NAME "expect refused" STATUS [ STRING ]
//	         | NAME "expect" ( "text" | "pong" ) PAYLOAD
//	         | NAME "expect text" "/" REGEXP "/"
//	         | NAME "expect binary" PAYLOAD
//	         | NAME "expect json" JSON          where the string "<any>" matches any value
//	         | NAME "expect close" [ CODE [ STRING ] ]
//	         | NAME "expect nothing"
//	         | NAME "expect terminate" ( "normal" | "remote" | "shutdown" | "timeout" | "error" )
//
// A header value may name environment variables, ${NAME}, which replay
// expands (a $ on its own stays): secrets stay out of files. Time stamps
// are for the reader; time passes only with advance. A fragment with text or binary starts
// a message, the next ones continue it, "final" ends it. Fragments, faults
// (violate, drop, stop and resume reading, ignore close and pings) and held
// infos need the simulator; the rest runs over loopback too.
//
// # Checks
//
// In the simulator, every step is followed by checks of sock's own rules on
// the world's trace: Init first and once, Terminate once and last, no
// callback after it, nothing written after the close frame, only legal close
// frames, every ping answered first by its pong, messages reaching HandleIn
// whole and in the order sent. At the end, as sockt does, the test fails
// unless Terminate ran exactly once on every connection, and if a handler
// had a bug sock survived (a panic, a Result sock refused, a loop).
package scenarios

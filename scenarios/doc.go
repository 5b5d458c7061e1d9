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
// [Scenario.MarshalText] writes a scenario built step by step, as a
// recorder does, refusing a step the format cannot hold.
//
// The test each function takes is what it needs of one: [Check] a
// rapid.TB (a *testing.T or *testing.B), for rapid runs it; [Conformance]
// a *testing.T, for its cases are subtests; [Replay] and [Differential] a
// sockt.TB, which [sockt.Failures] also provides, so that a program (such
// as socktui's headless runner) can replay outside a test.
//
// # Replaying
//
// [Replay] and [ReplayFile] run a scenario as a test: in the simulator
// (the default), over a loopback socket through the server's ServeHTTP
// ([Options].Loopback), or against a live server at a ws:// or wss:// URL
// ([Options].URL), as a client would. [Differential] replays it in the
// simulator and over loopback and fails unless every client saw the same:
// the simulator's promise, checked on the user's own handlers.
//
// # Fuzzing
//
// [Check] draws lifecycles with rapid — every kind of step, and the
// handler's own messages ([Options].Messages) — and shrinks a failure to a
// short scenario; [Fuzz] is the same as a go test -fuzz target. A
// [Property] adds a rule of the handler's own, checked on every
// connection after every step: [Answers] (every message answered once, in
// order), [NoPushAfter], or a model the user writes. [Options].Sometimes
// names conditions some lifecycle must reach, and go test -v shows how many
// reached each milestone.
//
// # Conformance
//
// [Conformance] runs protocol cases — pings, UTF-8, fragments, close codes,
// the size limit, violations — against the user's server, in the process.
//
// # Checks
//
// In the simulator, every step is followed by checks of sock's own rules on
// the world's trace: Init first and once, Terminate once and last, no
// callback after it, nothing written after the close frame, only legal close
// frames, every ping answered first by its pong, messages reaching HandleIn
// whole and in the order sent. At the end, as sockt does, the test fails
// unless Terminate ran exactly once on every connection, and if a handler
// had a bug sock survived (a panic, a Result sock refused, a loop, a
// payload kept past its callback).
//
// Check adds, each switched off by name in [Options].Skip: handler bugs
// at the step where they happen ("bugs"); a step that does not return in
// real time, reported with its goroutine's stack ("watchdog"); once the
// clients close and an hour passes, every connection terminated
// ("liveness"); no goroutine the handler started outlives its connections
// ("leaks"); the same steps in a fresh world give the same trace
// ("determinism").
package scenarios

package scenarios_test

import (
	"testing"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

func echoServer() *sockhttp.Server {
	return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler {
		return sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) })
	}), nil)
}

// Correct handlers pass: no false alarm.
func TestCheckCorrectHandlers(t *testing.T) {
	t.Run("echo", func(t *testing.T) { scenarios.Check(t, echoServer, nil) })
	t.Run("greeter", func(t *testing.T) {
		scenarios.Check(t, newGreeter, &scenarios.Options{Connects: []scenarios.Connect{
			{Target: "/?name=ada", Header: []scenarios.Header{{Name: "Sec-WebSocket-Protocol", Value: "greet.v1"}}},
			{Target: "/"}, // refused
		}})
	})
}

// The fuzz target runs the same lifecycles; its seed corpus runs in every
// go test.
func FuzzEcho(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 1, 4, 1, 5, 9, 2, 6})
	f.Fuzz(scenarios.Fuzz(echoServer, nil))
}

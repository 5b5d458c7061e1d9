package scenarios_test

import (
	"encoding/json"
	"testing"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

func TestConformance(t *testing.T) {
	t.Run("echo", func(t *testing.T) { scenarios.Conformance(t, echoServer, nil) })
	t.Run("greeter", func(t *testing.T) {
		scenarios.Conformance(t, newGreeter, &scenarios.Options{Connects: []scenarios.Connect{{Target: "/?name=ada"}}})
	})
	t.Run("small limit", func(t *testing.T) {
		scenarios.Conformance(t, func() *sockhttp.Server {
			return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return &planted{} }),
				&sockhttp.Options{ConnOptions: &sock.Options{MaxMessageSize: 100}})
		}, nil)
	})
}

// jsonOnly closes with 1007 on a message that is not JSON: its own
// verdict, not the protocol's, which Conformance must not blame.
type jsonOnly struct{}

func (jsonOnly) HandleIn(_ *sock.Conn, m sock.Frame) sock.Result {
	if !json.Valid(m.Payload) {
		return sock.Close(sock.CloseInvalidPayload, "JSON only")
	}
	return sock.Push(m)
}

func TestConformanceOfAHandlerThatClosesItself(t *testing.T) {
	scenarios.Conformance(t, func() *sockhttp.Server {
		return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return jsonOnly{} }), nil)
	}, nil)
}

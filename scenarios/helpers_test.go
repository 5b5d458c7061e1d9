package scenarios_test

import (
	"encoding/json"
	"net/http"

	"pgregory.net/rapid"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// greeter greets the user the request names, echoes, pushes infos as JSON
// stamped with the time, and closes with 4000 on "bye".
type greeter struct{ name string }

func (g *greeter) Init(*sock.Conn) sock.Result {
	return sock.Push(sock.Text("hello, " + g.name))
}

func (g *greeter) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	if string(msg.Payload) == "bye" {
		return sock.Close(4000, "bye, "+g.name)
	}
	return sock.Push(msg)
}

func (g *greeter) HandleInfo(c *sock.Conn, info any) sock.Result {
	b, _ := json.Marshal(map[string]any{"news": info, "at": c.Now()})
	return sock.Push(sock.Text(string(b)))
}

func newGreeter() *sockhttp.Server { return newGreeterOn(nil) }

// newGreeterOn is newGreeter on host h (nil: gorilla).
func newGreeterOn(h sockhttp.Host) *sockhttp.Server {
	return sockhttp.NewServer(func(r *http.Request) (sockhttp.Accept, error) {
		name := r.URL.Query().Get("name")
		if name == "" {
			return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusUnauthorized, Body: "who are you?"}
		}
		return sockhttp.Accept{Handler: &greeter{name: name}}, nil
	}, &sockhttp.Options{Subprotocols: []string{"greet.v1"}, Host: h})
}

// rapidSampled draws text messages from texts.
func rapidSampled(texts ...string) *rapid.Generator[sock.Frame] {
	frames := make([]sock.Frame, len(texts))
	for i, s := range texts {
		frames[i] = sock.Text(s)
	}
	return rapid.SampledFrom(frames)
}

package sockhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// greeter greets by the name the factory found in the request.
type greeter struct{ name string }

func (g *greeter) Init(*sock.Conn) sock.Result {
	return sock.Push(sock.Text("hello, " + g.name))
}

func (g *greeter) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) }

// The factory authenticates before the upgrade: a refused client gets an
// ordinary HTTP response.
func ExampleNewServer() {
	ws := sockhttp.NewServer(func(r *http.Request) (sockhttp.Accept, error) {
		name := r.URL.Query().Get("user")
		if name == "" {
			return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusUnauthorized, Body: "who are you?"}
		}
		return sockhttp.Accept{Handler: &greeter{name: name}}, nil
	}, nil)
	srv := httptest.NewServer(ws)
	defer srv.Close()
	defer ws.Shutdown(context.Background())
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	_, resp, err := websocket.DefaultDialer.Dial(url, nil)
	fmt.Println(err, resp.StatusCode)

	c, _, err := websocket.DefaultDialer.Dial(url+"?user=ada", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_, msg, _ := c.ReadMessage()
	fmt.Println(string(msg))
	// Output:
	// websocket: bad handshake 401
	// hello, ada
}

// Shutdown closes every connection with 1001. http.Server.Shutdown does not
// know upgraded connections, so register the WebSocket server's Shutdown
// with it.
func ExampleServer_Shutdown() {
	ws := sockhttp.NewServer(func(*http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: &greeter{name: "ada"}}, nil
	}, nil)
	srv := httptest.NewUnstartedServer(ws)
	srv.Config.RegisterOnShutdown(func() { ws.Shutdown(context.Background()) })
	srv.Start()
	defer srv.Close()

	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_, hello, _ := c.ReadMessage()
	fmt.Println(string(hello))

	srv.Config.Shutdown(context.Background()) // the server is going away
	_, _, err = c.ReadMessage()
	fmt.Println(err)
	// Output:
	// hello, ada
	// websocket: close 1001 (going away): server shutdown
}

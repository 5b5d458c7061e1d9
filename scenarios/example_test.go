package scenarios_test

import (
	"fmt"
	"net/http"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

// A recorder builds a scenario step by step and writes it out.
func ExampleScenario_MarshalText() {
	s := &scenarios.Scenario{}
	s.Add(
		scenarios.Connect{Conn: "ada", Target: "/chat", Header: []scenarios.Header{{Name: "Authorization", Value: "Bearer ${TOKEN}"}}},
		scenarios.Send{Conn: "ada", Frame: sock.Text(`{"join":"lobby"}`)},
		scenarios.ExpectJSON{Conn: "ada", JSON: `{"joined":"lobby","at":"<any>"}`},
		scenarios.Send{Conn: "ada", Frame: sock.CloseFrame(sock.CloseNormal, "bye")},
		scenarios.ExpectFrame{Conn: "ada", Frame: sock.CloseFrame(sock.CloseNormal, "")},
	)
	text, err := s.MarshalText()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(text))
	// Output:
	// connect ada /chat
	//   header Authorization: Bearer ${TOKEN}
	// ada send text "{\"join\":\"lobby\"}"
	// ada expect json {"joined":"lobby","at":"<any>"}
	// ada send close 1000 "bye"
	// ada expect close 1000
}

// Replay runs a scenario as a test; here, outside a test, sockt.Failures
// collects what it reports.
func ExampleReplay() {
	newServer := func() *sockhttp.Server {
		return sockhttp.NewServer(func(r *http.Request) (sockhttp.Accept, error) {
			if r.URL.Query().Get("name") == "" {
				return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusUnauthorized, Body: "who are you?"}
			}
			return sockhttp.Accept{Handler: sock.HandlerFunc(func(_ *sock.Conn, m sock.Frame) sock.Result { return sock.Push(m) })}, nil
		}, nil)
	}
	s, err := scenarios.Parse("echo.scenario", []byte(`connect stranger /
stranger expect refused 401 "who are you?"
connect ada /?name=ada
ada send text "hello"
ada expect text "hello"
ada send close 1000 "bye"
ada expect close 1000 ""
ada expect terminate remote
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, loopback := range []bool{false, true} {
		failures := sockt.Failures(func(t sockt.TB) {
			scenarios.Replay(t, newServer, s, &scenarios.Options{Loopback: loopback})
		})
		fmt.Printf("loopback %v: %d failures\n", loopback, len(failures))
	}
	// Output:
	// loopback false: 0 failures
	// loopback true: 0 failures
}

package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
)

// recorder writes a session down as a scenario: what the user sent as send
// steps, what came back as expectations, each stamped with its time since
// the start. Secrets in headers are left out, named as environment
// variables that replay reads; JSON fields named by --mask become "<any>".
type recorder struct {
	start time.Time
	mask  map[string]bool
	s     scenarios.Scenario
}

// secretHeaders are recorded as ${SOCKTUI_…} references, not values.
var secretHeaders = map[string]bool{"Authorization": true, "Cookie": true, "Proxy-Authorization": true}

func newRecorder(mask []string) *recorder {
	r := &recorder{start: time.Now(), mask: map[string]bool{}}
	for _, m := range mask {
		r.mask[m] = true
	}
	return r
}

// connect records the opening of the connection named conn to u with
// header.
func (r *recorder) connect(conn string, at time.Time, u *url.URL, header http.Header) {
	target := u.RequestURI()
	c := scenarios.Connect{Conn: conn, Target: target}
	for name, values := range header {
		name = http.CanonicalHeaderKey(name)
		for _, v := range values {
			if secretHeaders[name] {
				v = "${SOCKTUI_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "}"
			}
			c.Header = append(c.Header, scenarios.Header{Name: name, Value: v})
		}
	}
	r.add(at, c)
}

// event records what happened on the connection named conn, if a scenario
// says such things.
func (r *recorder) event(conn string, e client.Event) {
	switch e.Kind {
	case client.Opened:
		r.add(e.At, scenarios.ExpectAccepted{Conn: conn, Subprotocol: e.Handshake.Subprotocol})
	case client.Refused:
		if e.Handshake.Status != 0 {
			r.add(e.At, scenarios.ExpectRefused{Conn: conn, Status: e.Handshake.Status, Body: e.Handshake.Body, HasBody: true})
		}
	case client.Out:
		r.add(e.At, scenarios.Send{Conn: conn, Frame: e.Frame})
	case client.In:
		switch e.Frame.Op {
		case sock.OpPing: // answered by the client, in replay too
		case sock.OpText:
			if j, ok := r.json(e.Frame.Payload); ok {
				r.add(e.At, scenarios.ExpectJSON{Conn: conn, JSON: j})
				return
			}
			fallthrough
		default:
			r.add(e.At, scenarios.ExpectFrame{Conn: conn, Frame: e.Frame})
		}
	}
}

// json returns the text as a JSON expectation with the masked fields as
// "<any>", if it is JSON and some field is masked.
func (r *recorder) json(text []byte) (string, bool) {
	if len(r.mask) == 0 {
		return "", false
	}
	var v any
	if json.Unmarshal(text, &v) != nil {
		return "", false
	}
	masked := false
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if r.mask[k] {
					v[k], masked = "<any>", true
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	if !masked {
		return "", false
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<any>" as it is
	err := enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n"), err == nil
}

func (r *recorder) add(at time.Time, s scenarios.Step) {
	r.s.Lines = append(r.s.Lines, scenarios.Line{Step: s, At: at.Sub(r.start).Round(time.Millisecond), Stamped: true})
}

// write writes the scenario to path.
func (r *recorder) write(path string) error {
	text, err := r.s.MarshalText()
	if err != nil {
		return err
	}
	return os.WriteFile(path, text, 0o644)
}

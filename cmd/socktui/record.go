package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
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
	// as names each connection's current dial in the scenario: c1, then
	// c1.2 once it reconnects, as a scenario names each connection once.
	as    map[string]string
	dials map[string]int
}

func newRecorder(mask []string) *recorder {
	r := &recorder{start: time.Now(), mask: map[string]bool{}, as: map[string]string{}, dials: map[string]int{}}
	for _, m := range mask {
		r.mask[m] = true
	}
	return r
}

// connect records the opening of the connection named conn to u with
// header and subprotocols.
func (r *recorder) connect(conn string, at time.Time, u *url.URL, header http.Header, subprotocols []string) {
	r.dials[conn]++
	r.as[conn] = conn
	if n := r.dials[conn]; n > 1 {
		r.as[conn] = conn + "." + strconv.Itoa(n)
	}
	c := scenarios.Connect{Conn: r.as[conn], Target: redactQuery(u)}
	for _, name := range slices.Sorted(maps.Keys(header)) {
		for _, v := range header[name] {
			if secret(name) {
				v = "${SOCKTUI_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "}"
			}
			c.Header = append(c.Header, scenarios.Header{Name: http.CanonicalHeaderKey(name), Value: v})
		}
	}
	if len(subprotocols) > 0 {
		c.Header = append(c.Header, scenarios.Header{Name: "Sec-WebSocket-Protocol", Value: strings.Join(subprotocols, ", ")})
	}
	r.add(at, c)
}

// secret reports whether a header's value is to be kept out of a file:
// credentials, and anything named like a key, a token or a secret.
func secret(header string) bool {
	h := strings.ToLower(header)
	return h == "authorization" || h == "cookie" || h == "proxy-authorization" ||
		strings.Contains(h, "key") || strings.Contains(h, "token") || strings.Contains(h, "secret") || strings.Contains(h, "auth")
}

// redactQuery returns the request target of u, with the values of query
// parameters named like credentials replaced by "REDACTED": a scenario
// target cannot read the environment, so such a recording says where to
// put the secret back.
func redactQuery(u *url.URL) string {
	q := u.Query()
	redacted := false
	for name := range q {
		if n := strings.ToLower(name); secret(n) || n == "password" || n == "sig" || n == "signature" || n == "jwt" {
			q.Set(name, "REDACTED")
			redacted = true
		}
	}
	if !redacted {
		return u.RequestURI()
	}
	v := *u
	v.RawQuery = q.Encode()
	return v.RequestURI()
}

// event records what happened on the connection named conn, if a scenario
// says such things.
func (r *recorder) event(conn string, e client.Event) {
	if as, ok := r.as[conn]; ok {
		conn = as
	}
	switch e.Kind {
	case client.Opened:
		r.add(e.At, scenarios.ExpectAccepted{Conn: conn, Subprotocol: e.Handshake.Subprotocol})
	case client.Refused:
		if e.Handshake.Status != 0 {
			r.add(e.At, scenarios.ExpectRefused{Conn: conn, Status: e.Handshake.Status, Body: e.Handshake.Body, HasBody: true})
		}
	case client.Out:
		if e.Raw { // a probe: the format holds no such frame
			r.s.Lines = append(r.s.Lines, scenarios.Line{Comment: fmt.Sprintf("%s sent a raw frame the format cannot hold: %v", conn, e.Frame), HasComment: true})
			return
		}
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
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber() // large integers as they are
	var v any
	if d.Decode(&v) != nil || d.More() {
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
	return os.WriteFile(path, text, 0o600) // the session's messages may be private
}

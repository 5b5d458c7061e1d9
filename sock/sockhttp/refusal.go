package sockhttp

import (
	"errors"
	"net/http"
	"strconv"
)

// Errors that refusals and [Upgrade] wrap. Test for them with errors.Is.
var (
	// ErrBadHandshake is a request that is not a WebSocket opening
	// handshake (RFC 6455 §4.2.1): not a GET (405), older than HTTP/1.1
	// (400), no upgrade headers or another version than 13 (426), or a bad
	// Sec-WebSocket-Key (400).
	ErrBadHandshake = errors.New("sockhttp: not a WebSocket handshake")
	// ErrOriginNotAllowed is a browser request from an Origin the options
	// do not allow (403).
	ErrOriginNotAllowed = errors.New("sockhttp: origin not allowed")
	// ErrShuttingDown is a request that came after [Server.Shutdown] began
	// (503).
	ErrShuttingDown = errors.New("sockhttp: server shutting down")
	// ErrTooManyConns is a request past [Options].MaxConns or
	// MaxConnsPerClient (503).
	ErrTooManyConns = errors.New("sockhttp: too many connections")
	// ErrBadOriginPattern is an [Options].OriginPatterns entry that is not a
	// valid path.Match pattern.
	ErrBadOriginPattern = errors.New("sockhttp: bad origin pattern")
	// ErrBadTrustedProxy is an [Options].TrustedProxies entry that is
	// neither an IP address nor a prefix.
	ErrBadTrustedProxy = errors.New("sockhttp: bad trusted proxy")
)

// Refusal is the HTTP response a client gets instead of an upgrade. A
// factory returns one to refuse a request; [Server.Negotiate] and [Upgrade]
// return one for every request they do not upgrade, wrapping the cause:
// one of the errors above, or the factory's error for a 500.
type Refusal struct {
	Status int         // 0 means 403 Forbidden
	Header http.Header // added to the response; without a Content-Type, the body goes as text/plain
	Body   string

	err error // the cause, if sockhttp refused
}

// Error returns "sockhttp: upgrade refused: STATUS: CAUSE", the cause being
// the wrapped error or else the body.
func (e *Refusal) Error() string {
	cause := e.Body
	if e.err != nil {
		cause = e.err.Error()
	}
	return "sockhttp: upgrade refused: " + strconv.Itoa(e.status()) + ": " + cause
}

// Unwrap returns the cause of a refusal sockhttp made, or nil.
func (e *Refusal) Unwrap() error { return e.err }

func (e *Refusal) status() int {
	if e.Status == 0 {
		return http.StatusForbidden
	}
	return e.Status
}

// refuse returns a refusal with status, the cause's text as its body, and
// header pairs (key, value, key, value...).
func refuse(status int, cause error, header ...string) *Refusal {
	r := &Refusal{Status: status, Body: cause.Error(), err: cause}
	if len(header) > 0 {
		r.Header = http.Header{}
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
	}
	return r
}

// internalError refuses with 500 because of err, a bug of the factory's or
// of the options': the client learns nothing more.
func internalError(err error) *Refusal {
	return &Refusal{Status: http.StatusInternalServerError, Body: "sockhttp: internal error", err: err}
}

// sent returns the refusal as it is sent: its status set, its header keys
// canonical.
func (e *Refusal) sent() *Refusal {
	sent := *e
	sent.Status, sent.Header = e.status(), canonical(e.Header)
	return &sent
}

func (e *Refusal) write(w http.ResponseWriter) {
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
	}
	w.WriteHeader(e.status())
	_, _ = w.Write([]byte(e.Body))
}

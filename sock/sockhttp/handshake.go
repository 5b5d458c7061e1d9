package sockhttp

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/websocket"
)

// checkRequest returns the refusal for a request that is not a valid
// WebSocket opening handshake (RFC 6455 §4.2.1) or comes from an Origin that
// may not connect, or nil.
func checkRequest(r *http.Request, o *origins) *Refusal {
	switch {
	case r.Method != http.MethodGet:
		return refuse(http.StatusMethodNotAllowed, fmt.Errorf("%w: the method must be GET", ErrBadHandshake), "Allow", http.MethodGet)
	case !r.ProtoAtLeast(1, 1):
		return refuse(http.StatusBadRequest, fmt.Errorf("%w: HTTP/1.1 or later is needed, not %s", ErrBadHandshake, r.Proto))
	case !websocket.IsWebSocketUpgrade(r):
		return refuse(http.StatusUpgradeRequired, fmt.Errorf("%w: send Connection: Upgrade and Upgrade: websocket", ErrBadHandshake),
			"Connection", "Upgrade", "Upgrade", "websocket")
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return refuse(http.StatusUpgradeRequired, fmt.Errorf("%w: unsupported version, want 13", ErrBadHandshake), "Sec-WebSocket-Version", "13")
	case !validKey(r.Header.Get("Sec-WebSocket-Key")):
		return refuse(http.StatusBadRequest, fmt.Errorf("%w: Sec-WebSocket-Key must be 16 bytes in base64", ErrBadHandshake))
	case !o.allowed(r):
		return refuse(http.StatusForbidden, ErrOriginNotAllowed)
	}
	return nil
}

func validKey(key string) bool {
	b, err := base64.StdEncoding.DecodeString(key)
	return err == nil && len(b) == 16
}

// settle completes what a factory accepted for r: it checks the handler, the
// headers and the subprotocol, choosing one from supported if the factory did
// not, and puts the subprotocol in the response header. A subprotocol set in
// the header, as gorilla's Upgrade takes it, counts as chosen.
func settle(r *http.Request, acc *Accept, supported []string) *Refusal {
	if acc.Handler == nil {
		return internalError(errNilHandler)
	}
	acc.Header = canonical(acc.Header)
	for k, vs := range acc.Header {
		if !validHeader(k, vs) {
			return internalError(fmt.Errorf("sockhttp: factory set header %q in Accept.Header: not a valid field name and values", k))
		}
	}
	for _, k := range []string{"Upgrade", "Connection", "Sec-Websocket-Accept", "Sec-Websocket-Extensions"} {
		if _, set := acc.Header[k]; set {
			return internalError(fmt.Errorf("sockhttp: factory set %s in Accept.Header: the handshake sets it", k))
		}
	}
	if sub := acc.Header.Get("Sec-WebSocket-Protocol"); sub != "" && acc.Subprotocol == "" {
		acc.Subprotocol = sub
	}
	switch {
	case acc.Subprotocol == "":
		acc.Subprotocol = chooseSubprotocol(r, supported)
	case !offered(r, acc.Subprotocol):
		return internalError(fmt.Errorf("sockhttp: factory chose subprotocol %q, which the client did not offer", acc.Subprotocol))
	}
	if acc.Subprotocol != "" {
		if acc.Header == nil {
			acc.Header = http.Header{}
		}
		acc.Header.Set("Sec-WebSocket-Protocol", acc.Subprotocol)
	}
	return nil
}

var errNilHandler = errors.New("sockhttp: factory accepted with a nil Handler")

// validHeader reports whether a header field may be written as it is: a
// name of token characters (RFC 9110 §5.6.2), values without CR, LF or
// NUL — anything else would write lines of its own into the response.
func validHeader(name string, values []string) bool {
	if name == "" || strings.ContainsFunc(name, func(r rune) bool {
		return r <= ' ' || r >= 0x7F || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	}) {
		return false
	}
	for _, v := range values {
		if strings.ContainsAny(v, "\r\n\x00") {
			return false
		}
	}
	return true
}

// canonical returns a copy of h whose keys are canonical, as they are once
// written: a literal http.Header{"content-type": ...} has its key as typed.
func canonical(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	c := make(http.Header, len(h))
	for k, vs := range h {
		for _, v := range vs {
			c.Add(k, v)
		}
	}
	return c
}

// chooseSubprotocol returns the first of the server's subprotocols the client
// offered, or "".
func chooseSubprotocol(r *http.Request, supported []string) string {
	for _, s := range supported {
		if offered(r, s) {
			return s
		}
	}
	return ""
}

func offered(r *http.Request, subprotocol string) bool {
	for _, o := range websocket.Subprotocols(r) {
		if o == subprotocol {
			return true
		}
	}
	return false
}

// switchingHeader returns the headers of the 101 response to r that the
// WebSocket library writes itself (RFC 6455 §4.2.2), added to h.
func switchingHeader(r *http.Request, h http.Header) http.Header {
	h = h.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Accept", AcceptKey(r.Header.Get("Sec-WebSocket-Key")))
	return h
}

// AcceptKey returns the Sec-WebSocket-Accept of the answer to an opening
// handshake whose Sec-WebSocket-Key is key (RFC 6455 §4.2.2): for a [Host]
// that writes its 101 response itself.
func AcceptKey(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

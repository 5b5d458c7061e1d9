package sockhttp

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/gorilla/websocket"
)

// checkHandshake answers a request that is not a valid WebSocket opening
// handshake (RFC 6455 §4.2.1) with an HTTP error and reports false.
func checkHandshake(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "sockhttp: a WebSocket handshake must be a GET request", http.StatusMethodNotAllowed)
	case !websocket.IsWebSocketUpgrade(r):
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, "sockhttp: this endpoint speaks WebSocket: send Connection: Upgrade and Upgrade: websocket", http.StatusUpgradeRequired)
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		w.Header().Set("Sec-WebSocket-Version", "13")
		http.Error(w, "sockhttp: unsupported WebSocket version, want 13", http.StatusUpgradeRequired)
	case !validKey(r.Header.Get("Sec-WebSocket-Key")):
		http.Error(w, "sockhttp: Sec-WebSocket-Key must be 16 bytes in base64", http.StatusBadRequest)
	default:
		return true
	}
	return false
}

func validKey(key string) bool {
	b, err := base64.StdEncoding.DecodeString(key)
	return err == nil && len(b) == 16
}

// originAllowed reports whether a browser on the request's Origin may open a
// WebSocket: requests without an Origin header (non-browser clients), from the
// same host, or from a host that matches one of the patterns (path.Match
// syntax, case-insensitive, e.g. "*.example.com").
func originAllowed(r *http.Request, patterns []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Host)
	if host == strings.ToLower(r.Host) {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), host); ok {
			return true
		}
	}
	return false
}

// checkPatterns panics on a malformed origin pattern, so a typo fails at
// start-up rather than refusing every browser.
func checkPatterns(patterns []string) {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			panic("sockhttp: bad origin pattern " + p + ": " + err.Error())
		}
	}
}

// chooseSubprotocol returns the first of the server's subprotocols the client
// offered, or "".
func chooseSubprotocol(r *http.Request, supported []string) string {
	offered := websocket.Subprotocols(r)
	for _, s := range supported {
		for _, o := range offered {
			if s == o {
				return s
			}
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

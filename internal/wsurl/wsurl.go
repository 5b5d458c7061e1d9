// Package wsurl reads the URL of a WebSocket server as a person types it,
// for socktui and sockt.DialURL alike.
package wsurl

import (
	"fmt"
	"net/url"
	"strings"
)

// Parse reads a server's URL: ws:// or wss://, http:// and https:// taken
// for them, and no scheme meaning ws://.
func Parse(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "ws://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return nil, fmt.Errorf("scheme %q: want ws:// or wss://", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q names no host", raw)
	}
	return u, nil
}

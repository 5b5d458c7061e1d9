package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
)

// What a recording holds, and what it keeps out.
func TestRecorder(t *testing.T) {
	r := newRecorder([]string{"at"})
	r.start = start // the events' clock, not the wall clock: at(0) was a time in the future until the day it was not
	u, _ := url.Parse("ws://example.com/chat?room=1&token=QSECRET")
	header := http.Header{"Authorization": {"Bearer s3cret"}, "X-Api-Key": {"KEY123"}, "Origin": {"https://example.com"}}
	opened := client.Event{At: at(1), Kind: client.Opened, Handshake: &client.Handshake{Status: 101, Subprotocol: "chat.v1"}}

	r.connect("c1", at(0), u, header, []string{"chat.v1", "chat.v2"})
	r.event("c1", opened)
	r.event("c1", client.Event{At: at(2), Kind: client.Out, Frame: sock.Text("hi")})
	r.event("c1", client.Event{At: at(3), Kind: client.In, Frame: sock.Text(`{"id":12345678901234567891,"at":"12:00"}`)})
	r.event("c1", client.Event{At: at(4), Kind: client.Out, Frame: sock.Frame{Op: sock.OpPing, Payload: make([]byte, 126)}, Raw: true})
	r.event("c1", client.Event{At: at(5), Kind: client.In, Frame: sock.Frame{Op: sock.OpPing, Payload: []byte("server's")}})
	r.connect("c1", at(6), u, header, nil) // a reconnection
	r.event("c1", opened)

	path := filepath.Join(t.TempDir(), "r.scenario")
	if err := r.write(path); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(path)
	for _, want := range []string{
		"connect c1 /chat?room=1&token=REDACTED",
		"header Authorization: ${SOCKTUI_AUTHORIZATION}",
		"header X-Api-Key: ${SOCKTUI_X_API_KEY}",
		"header Origin: https://example.com",
		"header Sec-WebSocket-Protocol: chat.v1, chat.v2",
		"c1 expect accepted chat.v1",
		`c1 expect json {"at":"<any>","id":12345678901234567891}`,
		"# c1 sent a raw frame the format cannot hold: ping",
		"connect c1.2 /chat",
		"c1.2 expect accepted chat.v1",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the recording lacks %q:\n%s", want, text)
		}
	}
	for _, secret := range []string{"QSECRET", "s3cret", "KEY123", "server's"} {
		if strings.Contains(string(text), secret) {
			t.Errorf("the recording holds %q:\n%s", secret, text)
		}
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("the recording's mode is %v, want 0600", info.Mode().Perm())
	}
	if _, err := scenarios.Parse(path, text); err != nil {
		t.Errorf("the recording does not parse: %v", err)
	}
}

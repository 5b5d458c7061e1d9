package main

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

func TestEchoServer(t *testing.T) {
	ws := newServer(1024)
	srv := httptest.NewServer(ws)
	defer srv.Close()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	for _, m := range []struct {
		typ  int
		data []byte
	}{{websocket.TextMessage, []byte("héllo")}, {websocket.BinaryMessage, []byte{0, 1, 2}}} {
		c.WriteMessage(m.typ, m.data)
		typ, got, err := c.ReadMessage()
		if err != nil || typ != m.typ || !bytes.Equal(got, m.data) {
			t.Errorf("echo of %q (type %d) = %q (type %d), %v", m.data, m.typ, got, typ, err)
		}
	}

	c.WriteMessage(websocket.BinaryMessage, make([]byte, 1025)) // over -max-message
	_, _, err = c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("after an oversize message: %v, want close 1009", err)
	}
	if err := ws.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

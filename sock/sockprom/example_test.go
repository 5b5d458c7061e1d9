package sockprom_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sock/sockprom"
)

func Example() {
	metrics := sockprom.New(nil) // prometheus.MustRegister(metrics) in a server
	echo := sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) })
	ws := sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return echo }),
		&sockhttp.Options{Hooks: metrics.Hooks()})
	srv := httptest.NewServer(ws)
	defer srv.Close()

	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.WriteMessage(websocket.TextMessage, []byte("hello"))
	c.ReadMessage() // the echo: the server has counted both ways

	text, _ := testutil.CollectAndFormat(metrics, expfmt.TypeTextPlain,
		"sockkit_messages_received_total", "sockkit_received_bytes_total", "sockkit_messages_sent_total", "sockkit_upgrades_total")
	for line := range strings.Lines(string(text)) {
		if strings.Contains(line, `opcode="text"`) || strings.HasPrefix(line, "sockkit_upgrades") {
			fmt.Print(line)
		}
	}
	// Output:
	// sockkit_messages_received_total{opcode="text"} 1
	// sockkit_messages_sent_total{opcode="text"} 1
	// sockkit_received_bytes_total{opcode="text"} 5
	// sockkit_upgrades_total{status="101"} 1
}

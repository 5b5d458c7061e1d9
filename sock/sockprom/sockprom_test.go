package sockprom_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sock/sockprom"
)

// A scripted session against a real server, then a scrape of /metrics
// through the real registry: the numbers are those of the session.
func TestMetricsScraped(t *testing.T) {
	metrics := sockprom.New(nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics)

	handler := sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result {
		switch string(msg.Payload) {
		case "panic":
			panic("boom")
		case "bad":
			return sock.Close(999, "")
		}
		return sock.Push(msg)
	})
	ws := sockhttp.NewServer(func(r *http.Request) (sockhttp.Accept, error) {
		if r.URL.Query().Has("refuse") {
			return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusUnauthorized}
		}
		return sockhttp.Accept{Handler: handler}, nil
	}, &sockhttp.Options{Hooks: metrics.Hooks(), ConnOptions: &sock.Options{PingInterval: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}})
	mux := http.NewServeMux()
	mux.Handle("/ws", ws)
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"

	if _, resp, err := websocket.DefaultDialer.Dial(url+"?refuse", nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("refused dial: %v", err)
	}
	dial := func() *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		return c
	}
	// ada: two echoes, a keepalive round trip (gorilla answers pings), a
	// normal close.
	ada := dial()
	for _, m := range []string{"hello", "world!"} {
		ada.WriteMessage(websocket.TextMessage, []byte(m))
		if _, got, err := ada.ReadMessage(); err != nil || string(got) != m {
			t.Fatalf("echo %q: %q, %v", m, got, err)
		}
	}
	pinged := make(chan struct{}, 1)
	ada.SetPingHandler(func(data string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return ada.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go ada.ReadMessage() // runs the ping handler until the close
	<-pinged
	time.Sleep(20 * time.Millisecond) // the pong reaches the server
	ada.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
	// bob: a panic; cy: a bad result.
	for _, m := range []string{"panic", "bad"} {
		c := dial()
		c.WriteMessage(websocket.TextMessage, []byte(m))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				break
			}
		}
		c.Close()
	}

	// Terminated comes before the peer's answer to the close frame: wait
	// for the three answers too.
	got := scrape(t, srv.URL+"/metrics", func(got map[string]float64) bool {
		return got[`sockkit_connections_open`] == 0 && got[`sockkit_messages_received_total{opcode="close"}`] == 3
	})
	for name, want := range map[string]float64{
		`sockkit_upgrades_total{status="101"}`:                          3,
		`sockkit_upgrades_total{status="401"}`:                          1,
		`sockkit_connections_open`:                                      0,
		`sockkit_connections_closed_total{code="1000",reason="remote"}`: 1,
		`sockkit_connections_closed_total{code="1011",reason="error"}`:  2,
		`sockkit_connection_duration_seconds_count`:                     3,
		`sockkit_messages_received_total{opcode="text"}`:                4,
		`sockkit_received_bytes_total{opcode="text"}`:                   5 + 6 + 5 + 3,
		`sockkit_messages_sent_total{opcode="text"}`:                    2,
		`sockkit_sent_bytes_total{opcode="text"}`:                       11,
		`sockkit_handler_bugs_total{kind="panic"}`:                      1,
		`sockkit_handler_bugs_total{kind="bad_result"}`:                 1,
		`sockkit_infos_dropped_total`:                                   0,
		`sockkit_write_timeouts_total`:                                  0,
		`sockkit_messages_sent_total{opcode="close"}`:                   3,
		`sockkit_messages_received_total{opcode="close"}`:               3, // gorilla answers the server's close
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	// Keepalive pings, each answered: at least the one ada waited for.
	if rtts, pongs := got[`sockkit_keepalive_rtt_seconds_count`], got[`sockkit_messages_received_total{opcode="pong"}`]; rtts < 1 || rtts != pongs {
		t.Errorf("%v round trips for %v pongs; want as many, one at least", rtts, pongs)
	}
}

// scrape GETs the metrics until ready says they are complete (for up to
// 5s), and returns each sample by name and labels, as the text format
// writes them.
func scrape(t *testing.T, url string, ready func(map[string]float64) bool) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := samples(families)
		if ready(got) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// samples flattens metric families to name{labels} → value; histograms
// give their _count and _sum.
func samples(families map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.Metric {
			var labels []string
			for _, l := range m.Label {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[name+"_count"] = float64(m.Histogram.GetSampleCount())
				out[name+"_sum"] = m.Histogram.GetSampleSum()
			}
		}
	}
	return out
}

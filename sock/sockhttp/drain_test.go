package sockhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// closedAt reads from c until its close frame, and returns when it came and
// its code.
func closedAt(c *websocket.Conn) (time.Time, int) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return time.Now(), ce.Code
			}
			return time.Now(), -1
		}
	}
}

// batches groups the times into batches: a gap of more than half the
// interval starts a new one. It returns each batch's size.
func batches(times []time.Time, interval time.Duration) []int {
	sorted := append([]time.Time(nil), times...)
	for i := range sorted { // insertion sort: a handful
		for j := i; j > 0 && sorted[j].Before(sorted[j-1]); j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	var sizes []int
	for i, at := range sorted {
		if i == 0 || at.Sub(sorted[i-1]) > interval/2 {
			sizes = append(sizes, 0)
		}
		sizes[len(sizes)-1]++
	}
	return sizes
}

// Shutdown closes the connections in batches of Drain.Batch, Drain.Interval
// apart, with 1012 when restarting; new upgrades get 503 meanwhile.
func TestShutdownDrainsInBatches(t *testing.T) {
	const interval = 400 * time.Millisecond
	for _, tc := range []struct {
		name    string
		restart bool
		code    int
	}{{"going away", false, 1001}, {"restart", true, 1012}} {
		t.Run(tc.name, func(t *testing.T) {
			srv, ws, closes := drainServer(t, 7, sockhttp.Drain{Batch: 3, Interval: interval, Restart: tc.restart}, tc.code)
			shutdown := make(chan error)
			go func() { shutdown <- ws.Shutdown(context.Background()) }()
			time.Sleep(interval / 4)
			if _, status, retry, _ := tryDial(t, wsURL(srv), nil); status != http.StatusServiceUnavailable || retry == "" {
				t.Errorf("an upgrade during the drain: %d, Retry-After %q; want 503 with Retry-After", status, retry)
			}
			times := closes()
			if err := <-shutdown; err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if got := batches(times, interval); len(got) != 3 || got[0] != 3 || got[1] != 3 || got[2] != 1 {
				t.Errorf("closed in batches of %v, want [3 3 1]", got)
			}
		})
	}
}

// Batches are filled with the connections still open: those that ended
// before do not leave holes.
func TestShutdownDrainFillsBatches(t *testing.T) {
	srv, ws := serveFactory(t, sockhttp.AcceptAll(func() sock.Handler { return newProbe(nil) }),
		&sockhttp.Options{Drain: sockhttp.Drain{Batch: 3, Interval: time.Hour}})
	conns := make([]*websocket.Conn, 6)
	for i := range conns {
		conns[i] = dial(t, srv, nil)
	}
	for _, i := range []int{1, 2, 4} {
		conns[i].WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
		closedAt(conns[i])
	}
	time.Sleep(50 * time.Millisecond) // the server forgets them
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go ws.Shutdown(ctx)
	for _, i := range []int{0, 3, 5} { // one batch: no hour to wait
		if _, code := closedAt(conns[i]); code != 1001 {
			t.Errorf("connection %d closed with %d, want 1001", i, code)
		}
	}
}

// Two Shutdowns at once drain at the pace of one.
func TestConcurrentShutdownsDrainOnce(t *testing.T) {
	const interval = 300 * time.Millisecond
	_, ws, closes := drainServer(t, 4, sockhttp.Drain{Batch: 1, Interval: interval}, 1001)
	for range 2 {
		go ws.Shutdown(context.Background())
	}
	if got := batches(closes(), interval); len(got) != 4 {
		t.Errorf("closed in batches of %v, want 4 batches of 1", got)
	}
}

// drainServer starts a server that drains as d says, with n clients that
// answer its close frame, and returns closes: it waits for every client's
// close, which must have code want, and says when each came.
func drainServer(t *testing.T, n int, d sockhttp.Drain, want int) (*httptest.Server, *sockhttp.Server, func() []time.Time) {
	srv, ws := serveFactory(t, sockhttp.AcceptAll(func() sock.Handler { return newProbe(nil) }), &sockhttp.Options{Drain: d})
	times := make([]time.Time, n)
	var wg sync.WaitGroup
	for i := range n {
		c := dial(t, srv, nil)
		wg.Go(func() {
			var code int
			if times[i], code = closedAt(c); code != want {
				t.Errorf("connection %d closed with %d, want %d", i, code, want)
			}
			c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""))
		})
	}
	return srv, ws, func() []time.Time {
		wg.Wait()
		return times
	}
}

package room

import (
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// Over loopback: a talker says 0..N-1 while members join; each joiner's
// history followed by what it hears live has the talker's lines
// consecutive, with no gap and no repeat.
func TestHistoryAndLiveLinesJoin(t *testing.T) {
	const N = 600
	ch := &chat{reg: registry.New(nil), history: 100000, lines: map[string][]string{}}
	ws := sockhttp.NewServer(ch.accept, &sockhttp.Options{ConnOptions: &sock.Options{InfoQueueSize: 1 << 20}})
	ws.WrapHandlers(ch.reg.Track)
	srv := httptest.NewServer(ws)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	talker, _, err := websocket.DefaultDialer.Dial(url+"/?nick=t", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer talker.Close()
	go func() { // drain what the talker hears
		for {
			if _, _, err := talker.ReadMessage(); err != nil {
				return
			}
		}
	}()
	go func() {
		for i := range N {
			talker.WriteMessage(websocket.TextMessage, []byte(strconv.Itoa(i)))
			if i%8 == 0 {
				time.Sleep(200 * time.Microsecond)
			}
		}
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for j := range 10 {
		time.Sleep(time.Millisecond)
		wg.Go(func() {
			c, _, err := websocket.DefaultDialer.Dial(fmt.Sprintf("%s/?nick=j%d", url, j), nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			prev := -1
			k := 0
			var seen []string
			for prev != N-1 {
				k++
				_, p, err := c.ReadMessage()
				if err != nil {
					t.Errorf("j%d: %v after %d", j, err, prev)
					return
				}
				seen = append(seen, string(p))
				s, ok := strings.CutPrefix(string(p), "t: ")
				if !ok {
					continue
				}
				n, _ := strconv.Atoi(s)
				if prev >= 0 && n != prev+1 {
					mu.Lock()
					bad++
					mu.Unlock()
					lo := max(0, len(seen)-4)
					t.Errorf("j%d: t said %d after %d (frame %d): ...%q", j, n, prev, k, seen[lo:])
				}
				prev = n
			}
		})
	}
	wg.Wait()
	t.Logf("%d anomalies; registry stats %+v", bad, ch.reg.Stats())
}

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/sock"
)

// Each probe, sent to the demo's echo, gets the answer a conforming server
// gives: what the probe's description says.
func TestProbes(t *testing.T) {
	d, err := startDemo()
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	for i, want := range []string{
		`in close 1007 ""`,
		`in close 1009 ""`,
		`in pong 6265747765656e|in text "fragment"`, // the pong first, then "fragment"
		`in close 1002 ""`,
		`in close 1002 ""`,
		`in close 1002 ""`,
		`in close 1002 ""`,
		`closed dropped by the client, without a close frame`,
	} {
		t.Run(fmt.Sprint(i+1), func(t *testing.T) {
			c, err := client.Dial(t.Context(), client.Config{URL: d.URL + "/echo"})
			if err != nil {
				t.Fatal(err)
			}
			if e := <-c.Events(); e.Kind != client.Opened {
				t.Fatalf("first event %v", e.Kind)
			}
			if err := probes[i].send(c, ""); err != nil {
				t.Fatal(err)
			}
			var saw []string
			timeout := time.After(2 * time.Second)
			for len(saw) < strings.Count(want, "|")+1 {
				select {
				case e := <-c.Events():
					switch {
					case e.Kind == client.In && e.Frame.Op == sock.OpClose:
						code, _, _ := e.Frame.ParseClose()
						saw = append(saw, fmt.Sprintf("in close %d %q", code, ""))
					case e.Kind == client.In:
						saw = append(saw, fmt.Sprintf("in %v", e.Frame))
					case e.Kind == client.Closed && e.Err != nil:
						saw = append(saw, "closed "+e.Err.Error())
					}
				case <-timeout:
					t.Fatalf("saw %q, want %q", saw, want)
				}
			}
			if got := strings.Join(saw, "|"); got != want {
				t.Errorf("probe %q: saw %q, want %q", probes[i].what, got, want)
			}
			c.Drop()
			for range c.Events() {
			}
		})
	}
}

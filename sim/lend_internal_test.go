package sim

import "testing"

func TestLenderForgetsPastItsBounds(t *testing.T) {
	var l lender
	for range 10 {
		l.lend(make([]byte, 1<<20))
		l.reclaim()
	}
	if l.bytes > maxLentBytes || len(l.spans) != maxLentBytes/(1<<20) {
		t.Errorf("after 10 payloads of 1 MiB: %d spans of %d bytes, want %d within %d", len(l.spans), l.bytes, maxLentBytes/(1<<20), maxLentBytes)
	}
	huge := make([]byte, 2*maxLentBytes)
	l.lend(huge)
	if len(l.spans) != 1 || l.bytes != len(huge) {
		t.Errorf("after a payload over the bound: %d spans of %d bytes, want the one of %d", len(l.spans), l.bytes, len(huge))
	}
	for range 2 * maxLentSpans {
		l.lend(make([]byte, arenaLarge))
		l.reclaim()
	}
	if len(l.spans) != maxLentSpans {
		t.Errorf("after %d payloads of %d bytes: %d spans, want %d", 2*maxLentSpans, arenaLarge, len(l.spans), maxLentSpans)
	}
}

// The chunk small payloads are lent from is known to stale whatever the
// large payloads lent since: they push out only the spans before it.
func TestLenderKnowsItsCurrentChunk(t *testing.T) {
	var l lender
	kept := l.lend([]byte("hello"))
	l.reclaim()
	for range 3 {
		l.lend(make([]byte, 2<<20))
		l.reclaim()
	}
	if !l.stale(kept) {
		t.Error("a payload of the current chunk, kept, is not told after large payloads were lent")
	}
}

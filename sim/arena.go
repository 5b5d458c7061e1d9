package sim

// arena copies payloads into large shared chunks: the trace and the peer
// must keep their own copy of every frame (a handler may change the payload
// it was handed, or reuse the buffer it pushed once it is written), and one
// allocation per frame would dominate the cost of a short simulation.
type arena struct {
	chunk []byte
	made  func(span []byte) // if set, told of every chunk and own allocation made
}

// Chunks start small, for short simulations, and double up to
// maxArenaChunk.
const (
	minArenaChunk = 256
	maxArenaChunk = 32 << 10
	arenaLarge    = 4 << 10 // payloads from this size get an allocation of their own
)

// keep returns a copy of p that no one else holds; nil for an empty p.
func (a *arena) keep(p []byte) []byte {
	switch {
	case len(p) == 0:
		return nil
	case len(p) >= arenaLarge:
		b := append([]byte(nil), p...)
		if a.made != nil {
			a.made(b)
		}
		return b
	case len(p) > cap(a.chunk)-len(a.chunk):
		size := max(minArenaChunk, min(2*cap(a.chunk), maxArenaChunk))
		for size < len(p) {
			size *= 2
		}
		a.chunk = make([]byte, 0, size)
		if a.made != nil {
			a.made(a.chunk)
		}
	}
	start := len(a.chunk)
	a.chunk = append(a.chunk, p...)
	return a.chunk[start:len(a.chunk):len(a.chunk)]
}

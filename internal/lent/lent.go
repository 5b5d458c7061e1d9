// Package lent overwrites the buffers a payload was lent in, once its
// callback has returned: the simulator always, the hosts in binaries built
// with the race detector (go test -race), so that a handler that keeps a
// payload past its callback reads garbage at once, in every test, rather
// than now and then in production.
package lent

// Poisoning reports whether hosts poison the buffers they take back: in
// binaries built with -race.
const Poisoning = raceEnabled

// poison is what a buffer is overwritten with: text, so that a kept text
// payload stays valid UTF-8 and shows what happened.
const poison = "payload used after its callback returned "

// Poison overwrites b.
func Poison(b []byte) {
	for n := copy(b, poison); n < len(b); {
		n += copy(b[n:], b[:n])
	}
}

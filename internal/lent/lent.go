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

// Hint returns a sentence for a test failure whose unexpected payload b
// reads like poison, and "" otherwise: a handler that kept a payload and
// copied it later pushes what it was overwritten with, which sim cannot
// tell from bytes the handler made. b reads like poison when it holds the
// pattern from its start ("payl...") for 16 bytes, or for 4 bytes or more
// up to b's end (a kept payload, whole, alone or at the end of a message),
// or when it is 16 bytes or more of the pattern from any point (a part of
// a kept payload). Words of the pattern alone ("load", "after") are not
// enough.
func Hint(b []byte) string {
	if len(b) >= 16 {
		for phase := range len(poison) {
			if matched(b, phase) == len(b) {
				return hint
			}
		}
	}
	for i := range len(b) - 3 {
		if n := matched(b[i:], 0); n >= 16 || n >= 4 && i+n == len(b) {
			return hint
		}
	}
	return ""
}

const hint = "hint: the payload reads as sockkit overwrites a payload once its callback has returned (the simulator always, the hosts under -race): did the handler keep msg.Payload without copying it?"

// matched returns how many bytes from the start of b follow the poison
// pattern from its byte phase on.
func matched(b []byte, phase int) int {
	for i, c := range b {
		if c != poison[(phase+i)%len(poison)] {
			return i
		}
	}
	return len(b)
}

package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sockkit/sockkit/internal/wire"
	"github.com/sockkit/sockkit/sock"
)

// violations are the protocol violations a Violate step can name over a
// socket, each with the frame a client sends for it, in the order the
// generator draws them. The simulator takes any name: its transport
// reports the violation, not the bytes.
var violations = []struct {
	name  string
	frame wire.Header
}{
	{"RSV1 set", wire.Header{Fin: true, RSV: 0x40, Op: byte(sock.OpText), Masked: true}},
	{"unmasked frame", wire.Header{Fin: true, Op: byte(sock.OpText)}},
	{"reserved opcode", wire.Header{Fin: true, Op: 3, Masked: true}},
	{"fragmented ping", wire.Header{Op: byte(sock.OpPing), Masked: true}},
}

// violationNames are the names of violations.
var violationNames = func() []string {
	names := make([]string, len(violations))
	for i, v := range violations {
		names[i] = v.name
	}
	return names
}()

// wireBytes returns the bytes a client sends for a Send, SendFragment or
// Violate step.
func wireBytes(s Step) ([]byte, error) {
	switch s := s.(type) {
	case Send:
		return wire.Frame(wire.Header{Fin: true, Op: byte(s.Frame.Op), Masked: true}, s.Frame.Payload), nil
	case SendFragment:
		return wire.Frame(wire.Header{Fin: s.Final, Op: byte(s.Op), Masked: true}, s.Payload), nil
	case Violate:
		i := slices.Index(violationNames, s.What)
		if i < 0 {
			return nil, fmt.Errorf("no bytes for the violation %q over a socket; these have some: %s", s.What, strings.Join(violationNames, ", "))
		}
		return wire.Frame(violations[i].frame, []byte("x")), nil
	}
	return nil, fmt.Errorf("%s sends no bytes of its own", s)
}

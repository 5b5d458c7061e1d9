package natsregistry

import (
	"fmt"
	"strconv"
	"strings"
)

// token makes a name or a group one token of a NATS subject or key of a
// key-value bucket, readable when it can be: letters, digits, - and _ stay,
// any other byte is written =XX in hex ("room:1" is "room=3A1").
func token(s string) string {
	if s == "" {
		return "="
	}
	var b strings.Builder
	for i := range len(s) {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String()
}

// untoken reverses token.
func untoken(t string) (string, error) {
	if t == "=" {
		return "", nil
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if t[i] != '=' {
			b.WriteByte(t[i])
			continue
		}
		if i+3 > len(t) {
			return "", fmt.Errorf("natsregistry: %q: a cut escape", t)
		}
		n, err := strconv.ParseUint(t[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("natsregistry: %q: %w", t, err)
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}

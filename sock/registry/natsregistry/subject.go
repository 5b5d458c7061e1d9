package natsregistry

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// maxReadable is the longest token written readably; longer ones are
// hashed, so that no name or group makes a subject or a key too long for
// the server (which closes a connection whose command is over 4 KiB).
const maxReadable = 128

// token makes a name or a group one token of a NATS subject or a key of a
// key-value bucket, readable when it can be: letters, digits, - and _ stay,
// any other byte is written =XX in hex ("room:1" is "room=3A1"). A token
// that would be longer than 128 bytes is "==" and the SHA-256 of s in hex:
// the same on every node, and never a readable token, in which = is always
// followed by two hex digits.
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
		if b.Len() > maxReadable {
			sum := sha256.Sum256([]byte(s))
			return "==" + hex.EncodeToString(sum[:])
		}
	}
	return b.String()
}

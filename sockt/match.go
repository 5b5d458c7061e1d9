package sockt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/sockkit/sockkit/sock"
)

// Matcher decides whether a pushed frame is the one a test expects.
type Matcher interface {
	// Match reports whether f is acceptable.
	Match(f sock.Frame) bool
	// String describes what is acceptable, for failure messages.
	String() string
}

// Equal matches a frame equal to want: the same opcode and the same
// payload, byte for byte, e.g. Equal(sock.Binary(b)). A mismatch shows both
// payloads whole.
func Equal(want sock.Frame) Matcher { return equal{want} }

type equal struct{ want sock.Frame }

func (m equal) Match(f sock.Frame) bool {
	return f.Op == m.want.Op && bytes.Equal(f.Payload, m.want.Payload)
}
func (m equal) String() string { return m.want.String() }

// Contains matches a text message that contains sub.
func Contains(sub string) Matcher {
	return matchFunc{"text containing " + fmt.Sprintf("%q", sub), func(f sock.Frame) bool {
		return f.Op == sock.OpText && strings.Contains(string(f.Payload), sub)
	}}
}

// Regexp matches a text message that the regular expression expr matches. It
// panics if expr does not compile.
func Regexp(expr string) Matcher {
	re := regexp.MustCompile(expr)
	return matchFunc{"text matching /" + expr + "/", func(f sock.Frame) bool {
		return f.Op == sock.OpText && re.Match(f.Payload)
	}}
}

// JSON matches a text message holding JSON equal to want once both are
// decoded: key order and spacing do not matter. want is a value to encode
// (map, struct, slice...) or a string or []byte of JSON.
func JSON(want any) Matcher {
	wantValue, err := decodeJSON(want)
	if err != nil {
		panic("sockt: JSON: " + err.Error())
	}
	canonical, _ := json.Marshal(wantValue)
	return matchFunc{"JSON " + string(canonical), func(f sock.Frame) bool {
		if f.Op != sock.OpText {
			return false
		}
		var got any
		return json.Unmarshal(f.Payload, &got) == nil && reflect.DeepEqual(got, wantValue)
	}}
}

func decodeJSON(v any) (any, error) {
	var raw []byte
	switch v := v.(type) {
	case string:
		raw = []byte(v)
	case []byte:
		raw = v
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	var decoded any
	err := json.Unmarshal(raw, &decoded)
	return decoded, err
}

// Any matches any text or binary message.
func Any() Matcher {
	return matchFunc{"any message", func(f sock.Frame) bool { return f.Op.IsData() }}
}

type matchFunc struct {
	desc  string
	match func(sock.Frame) bool
}

func (m matchFunc) Match(f sock.Frame) bool { return m.match(f) }
func (m matchFunc) String() string          { return m.desc }

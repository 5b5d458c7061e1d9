package scenarios

import (
	"encoding/json"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sockt"
)

// anyValue, as a JSON string in an expectation, matches any value.
const anyValue = "<any>"

// maskedJSON matches a text message holding JSON equal to want, where the
// string "<any>" matches any value.
type maskedJSON string

var _ sockt.Matcher = maskedJSON("")

func (m maskedJSON) Match(f sock.Frame) bool {
	if f.Op != sock.OpText {
		return false
	}
	var want, got any
	if json.Unmarshal([]byte(m), &want) != nil || json.Unmarshal(f.Payload, &got) != nil {
		return false
	}
	return jsonEqual(want, got)
}

func (m maskedJSON) String() string { return "JSON " + string(m) }

// jsonEqual compares decoded JSON values, want's "<any>" matching anything.
func jsonEqual(want, got any) bool {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		return w == anyValue || ok && w == g
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !jsonEqual(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !jsonEqual(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return want == got // numbers, booleans, null
}

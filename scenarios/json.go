package scenarios

import (
	"bytes"
	"encoding/json"
	"math/big"

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
	want, err1 := decodeNumbers([]byte(m))
	got, err2 := decodeNumbers(f.Payload)
	return err1 == nil && err2 == nil && jsonEqual(want, got)
}

// decodeNumbers decodes JSON keeping numbers as written, so that large
// integers compare exactly.
func decodeNumbers(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
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
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return false
		}
		x, okx := new(big.Rat).SetString(w.String())
		y, oky := new(big.Rat).SetString(g.String())
		return okx && oky && x.Cmp(y) == 0 // 1 and 1.0 are equal, 2^53 and 2^53+1 are not
	}
	return want == got // booleans, null
}

package natsregistry_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/sock/registry/natsregistry"
)

type (
	point struct{ X, Y int }
	label string
)

func TestJSONCodec(t *testing.T) {
	c := natsregistry.JSON(point{}, label(""), &point{})
	for _, v := range []any{point{1, 2}, label("a"), &point{3, 4}, "text", []byte{0, 1, 255}} {
		data, err := c.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", v, err)
		}
		got, err := c.Unmarshal(data)
		if err != nil {
			t.Fatalf("Unmarshal(%s): %v", data, err)
		}
		if diff := cmp.Diff(v, got); diff != "" {
			t.Errorf("%#v came back differently (-sent +received):\n%s", v, diff)
		}
	}
}

func TestJSONCodecRefusesWhatItDoesNotKnow(t *testing.T) {
	c := natsregistry.JSON(point{})
	if _, err := c.Marshal(label("a")); err == nil || !strings.Contains(err.Error(), "label") {
		t.Errorf("Marshal of a type not listed: %v, want an error naming it", err)
	}
	data, _ := natsregistry.JSON(label("")).Marshal(label("a"))
	if _, err := c.Unmarshal(data); err == nil || !strings.Contains(err.Error(), "natsregistry_test.label") {
		t.Errorf("Unmarshal of a type not listed: %v, want an error naming it", err)
	}
	if _, err := c.Unmarshal([]byte("not json")); err == nil {
		t.Error("Unmarshal of bytes no codec wrote: no error")
	}
}

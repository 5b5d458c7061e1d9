package natsregistry

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// Codec turns what is published or sent into bytes for the other nodes, and
// those bytes back into a value for their connections' HandleInfo. Both
// sides of a cluster must use the same codec.
type Codec interface {
	Marshal(info any) ([]byte, error)
	Unmarshal(data []byte) (any, error)
}

// JSON returns a Codec that sends values of the given types as JSON, named
// by their Go type (with its package's whole path), and gives HandleInfo on
// the other node a value of that same type: JSON(chat.Line(""),
// chat.Notice{}) passes chat.Line and chat.Notice values (only their
// exported fields, as encoding/json does). Strings and byte slices pass
// without being listed. A value of a type not listed fails to marshal,
// naming its type. JSON panics if a value is nil.
func JSON(types ...any) Codec {
	c := jsonCodec{}
	for _, v := range append([]any{"", []byte(nil)}, types...) {
		t := reflect.TypeOf(v)
		if t == nil {
			panic("natsregistry: JSON(nil): a value of the type is needed")
		}
		c[typeName(t)] = t
	}
	return c
}

// typeName names t the same in every program: by its package's path, not
// by the package's name, which two packages may share.
func typeName(t reflect.Type) string {
	switch {
	case t.Kind() == reflect.Pointer:
		return "*" + typeName(t.Elem())
	case t.Name() != "" && t.PkgPath() != "":
		return t.PkgPath() + "." + t.Name()
	}
	return t.String()
}

// jsonCodec maps each type's name to the type.
type jsonCodec map[string]reflect.Type

// envelope is what jsonCodec sends: the value, named by its type.
type envelope struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

func (c jsonCodec) Marshal(info any) ([]byte, error) {
	t := reflect.TypeOf(info)
	if t == nil || c[typeName(t)] != t {
		return nil, fmt.Errorf("natsregistry: the codec does not know %T: list it in JSON(...)", info)
	}
	v, err := json.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("natsregistry: %T: %w", info, err)
	}
	return json.Marshal(envelope{typeName(t), v})
}

func (c jsonCodec) Unmarshal(data []byte) (any, error) {
	var e envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("natsregistry: not a message of the JSON codec: %w", err)
	}
	t := c[e.Type]
	if t == nil {
		return nil, fmt.Errorf("natsregistry: the codec does not know %s: list it in JSON(...)", e.Type)
	}
	v := reflect.New(t)
	if err := json.Unmarshal(e.Value, v.Interface()); err != nil {
		return nil, fmt.Errorf("natsregistry: %s: %w", e.Type, err)
	}
	return v.Elem().Interface(), nil
}

package sim

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// names renders infos for the trace so that equal runs give equal traces:
// as fmt's %v does, but a pointer, channel or func never prints its address.
// Each gets a number instead, in the order it first appears — the second
// *Room seen is "*pkg.Room#2" wherever it appears again — so that the text
// still tells two values apart and says when one comes back. A top-level
// pointer shows what it points to as well, as fmt does: "&pkg.said#1{ada
// hi}". Values with a String or Error method print what it returns.
type names struct {
	ids  map[uintptr]int
	keep []reflect.Value // what the numbered addresses belong to, kept alive so that no other value takes one
}

// maxDepth bounds how deep a rendering goes into nested values.
const maxDepth = 4

// render returns the text of v.
func (n *names) render(v any) string {
	var b strings.Builder
	n.value(&b, reflect.ValueOf(v), 0)
	return b.String()
}

func (n *names) value(b *strings.Builder, v reflect.Value, depth int) {
	if !v.IsValid() {
		b.WriteString("<nil>")
		return
	}
	if text, ok := stringMethod(v); ok {
		b.WriteString(text)
		return
	}
	if depth > maxDepth {
		b.WriteString("…")
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("<nil>")
			return
		}
		if depth == 0 {
			b.WriteString("&" + v.Type().Elem().String() + "#" + n.id(v))
			if e := v.Elem(); e.Kind() == reflect.Struct || e.Kind() == reflect.Array || e.Kind() == reflect.Slice || e.Kind() == reflect.Map {
				n.value(b, e, depth+1)
			}
			return
		}
		b.WriteString(v.Type().String() + "#" + n.id(v))
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		if v.IsNil() {
			b.WriteString("<nil>")
			return
		}
		b.WriteString(v.Type().String() + "#" + n.id(v))
	case reflect.Interface:
		n.value(b, v.Elem(), depth)
	case reflect.Struct:
		b.WriteByte('{')
		for i := range v.NumField() {
			if i > 0 {
				b.WriteByte(' ')
			}
			n.value(b, v.Field(i), depth+1)
		}
		b.WriteByte('}')
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(' ')
			}
			n.value(b, v.Index(i), depth+1)
		}
		b.WriteByte(']')
	case reflect.Map:
		entries := make([]string, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			var e strings.Builder
			n.value(&e, it.Key(), depth+1)
			e.WriteByte(':')
			n.value(&e, it.Value(), depth+1)
			entries = append(entries, e.String())
		}
		slices.Sort(entries) // fmt sorts maps too: the order must not depend on the run
		b.WriteString("map[" + strings.Join(entries, " ") + "]")
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()))
	case reflect.Complex64, reflect.Complex128:
		b.WriteString(strconv.FormatComplex(v.Complex(), 'g', -1, v.Type().Bits()))
	case reflect.String:
		b.WriteString(v.String())
	default:
		b.WriteString(v.Type().String())
	}
}

// id returns the number of the address v holds, giving it the next one if
// it is new.
func (n *names) id(v reflect.Value) string {
	p := v.Pointer()
	id, ok := n.ids[p]
	if !ok {
		if n.ids == nil {
			n.ids = map[uintptr]int{}
		}
		id = len(n.ids) + 1
		n.ids[p] = id
		n.keep = append(n.keep, v)
	}
	return strconv.Itoa(id)
}

// stringMethod returns what v's String or Error method says, if it has one
// that can be called; a method that panics (on a nil receiver, say) says
// what happened.
func stringMethod(v reflect.Value) (text string, ok bool) {
	if !v.CanInterface() || (v.Kind() == reflect.Pointer && v.IsNil()) {
		return "", false
	}
	var call func() string
	switch x := v.Interface().(type) {
	case error:
		call = x.Error
	case fmt.Stringer:
		call = x.String
	default:
		return "", false
	}
	defer func() {
		if p := recover(); p != nil {
			text, ok = fmt.Sprintf("<%s panicked: %v>", v.Type(), p), true
		}
	}()
	return call(), true
}

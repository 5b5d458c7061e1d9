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
// hi}". A map's entries are sorted by what they show, not by where their
// pointers are.
//
// Values with a String or Error method print what it returns, as fmt does:
// if that text holds an address, so does the trace, and a String method
// that calls itself overflows the stack, as under fmt. Collections show
// their first 100 elements, nesting 4 levels deep.
type names struct {
	ids   map[identity]int
	keep  []reflect.Value // what the numbered addresses belong to, kept alive so that no other value takes one
	limit int             // how many values may be numbered and kept; 0 for no limit
}

// identity tells two numbered values apart: an address, and what lives
// there (a struct and its first field share an address).
type identity struct {
	addr uintptr
	typ  reflect.Type
}

const (
	maxDepth    = 4   // how deep a rendering goes into nested values
	maxElements = 100 // how many elements of a collection it shows
)

// render returns the text of v.
func (n *names) render(v any) string {
	var b strings.Builder
	n.value(&b, reflect.ValueOf(v), 0, false)
	return b.String()
}

// value writes v. A dry rendering, used to sort a map's entries, numbers
// nothing: it shows what a new pointer points to instead of a number.
func (n *names) value(b *strings.Builder, v reflect.Value, depth int, dry bool) {
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
		e := v.Elem()
		composite := e.Kind() == reflect.Struct || e.Kind() == reflect.Array || e.Kind() == reflect.Slice || e.Kind() == reflect.Map
		if depth == 0 || dry {
			b.WriteString("&" + e.Type().String() + "#" + n.id(v, dry))
			if composite {
				n.value(b, e, depth+1, dry)
			}
			return
		}
		b.WriteString(v.Type().String() + "#" + n.id(v, dry))
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		if v.IsNil() {
			b.WriteString("<nil>")
			return
		}
		b.WriteString(v.Type().String() + "#" + n.id(v, dry))
	case reflect.Interface:
		n.value(b, v.Elem(), depth, dry)
	case reflect.Struct:
		b.WriteByte('{')
		for i := range v.NumField() {
			if i > 0 {
				b.WriteByte(' ')
			}
			n.value(b, v.Field(i), depth+1, dry)
		}
		b.WriteByte('}')
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i := range min(v.Len(), maxElements) {
			if i > 0 {
				b.WriteByte(' ')
			}
			n.value(b, v.Index(i), depth+1, dry)
		}
		if v.Len() > maxElements {
			b.WriteString(" …(" + strconv.Itoa(v.Len()) + " elements)")
		}
		b.WriteByte(']')
	case reflect.Map:
		n.mapValue(b, v, depth, dry)
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

// mapValue writes a map with its entries in an order that does not depend on
// the run: sorted by a dry rendering of key and value, and only then
// rendered, numbering new pointers in that order.
func (n *names) mapValue(b *strings.Builder, v reflect.Value, depth int, dry bool) {
	type entry struct {
		key, value reflect.Value
		order      string
	}
	var entries []entry
	for it := v.MapRange(); it.Next(); {
		var o strings.Builder
		n.value(&o, it.Key(), depth+1, true)
		o.WriteByte(':')
		n.value(&o, it.Value(), depth+1, true)
		entries = append(entries, entry{it.Key(), it.Value(), o.String()})
	}
	slices.SortStableFunc(entries, func(a, b entry) int { return strings.Compare(a.order, b.order) })
	b.WriteString("map[")
	for i, e := range entries[:min(len(entries), maxElements)] {
		if i > 0 {
			b.WriteByte(' ')
		}
		n.value(b, e.key, depth+1, dry)
		b.WriteByte(':')
		n.value(b, e.value, depth+1, dry)
	}
	if len(entries) > maxElements {
		b.WriteString(" …(" + strconv.Itoa(len(entries)) + " entries)")
	}
	b.WriteByte(']')
}

// id returns the number of what v points to, giving it the next one if it is
// new; "?" for a new one in a dry rendering, or once the limit is reached.
func (n *names) id(v reflect.Value, dry bool) string {
	key := identity{v.Pointer(), v.Type()}
	if id, ok := n.ids[key]; ok {
		return strconv.Itoa(id)
	}
	if dry || n.limit > 0 && len(n.ids) >= n.limit {
		return "?"
	}
	if n.ids == nil {
		n.ids = map[identity]int{}
	}
	id := len(n.ids) + 1
	n.ids[key] = id
	n.keep = append(n.keep, v)
	return strconv.Itoa(id)
}

// stringMethod returns what v's Error or String method says, if it has one
// that can be called. As fmt does, it calls it on a nil pointer too, and
// says "<nil>" if that panics; a panic on a value says what happened.
func stringMethod(v reflect.Value) (text string, ok bool) {
	if !v.CanInterface() {
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
			if v.Kind() == reflect.Pointer && v.IsNil() {
				text = "<nil>"
			}
		}
	}()
	return call(), true
}

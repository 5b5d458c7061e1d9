package sim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// game is state one connection hands another by pointer, as chat-like
// servers do.
type game struct {
	name    string
	players []string
	next    *game
}

type joined struct {
	who  string
	game *game
}

type level int

func (l level) String() string { return "level " + string(rune('0'+l)) }

// keeper takes whatever infos it is sent.
type keeper struct{}

func (keeper) HandleIn(*sock.Conn, sock.Frame) sock.Result { return sock.Continue() }
func (keeper) HandleInfo(*sock.Conn, any) sock.Result      { return sock.Continue() }

// handleInfoLines sends infos to a connection in a fresh world and returns
// the trace's HandleInfo lines.
func handleInfoLines(infos []any) []string {
	w := sim.New(1)
	c := w.Connect(keeper{}, nil)
	for _, info := range infos {
		c.SendInfo(info)
	}
	return lines(w, "call HandleInfo")
}

// Infos that carry pointers give the same trace in two fresh worlds: no
// address is printed, each pointer is numbered where it first appears.
func TestInfosRenderWithoutAddresses(t *testing.T) {
	infos := func() []any {
		a := &game{name: "chess", players: []string{"ada"}}
		b := &game{name: "go", players: []string{"bob"}}
		a.next = b
		var nilGame *game
		return []any{
			"plain text", 42, 2.5, true,
			joined{who: "ada", game: a},
			a, b, a, // a again: the same number
			level(3), errors.New("db gone"),
			map[string]int{"b": 2, "a": 1},
			[]*game{b, a},
			nilGame, nil,
			make(chan int),
		}
	}
	first, second := handleInfoLines(infos()), handleInfoLines(infos())
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("two worlds gave different traces (-first +second):\n%s", diff)
	}
	want := []string{
		"0s c1 call HandleInfo plain text",
		"0s c1 call HandleInfo 42",
		"0s c1 call HandleInfo 2.5",
		"0s c1 call HandleInfo true",
		"0s c1 call HandleInfo {ada *sim_test.game#1}",
		"0s c1 call HandleInfo &sim_test.game#1{chess [ada] *sim_test.game#2}",
		"0s c1 call HandleInfo &sim_test.game#2{go [bob] <nil>}",
		"0s c1 call HandleInfo &sim_test.game#1{chess [ada] *sim_test.game#2}",
		"0s c1 call HandleInfo level 3",
		"0s c1 call HandleInfo db gone",
		"0s c1 call HandleInfo map[a:1 b:2]",
		"0s c1 call HandleInfo [*sim_test.game#2 *sim_test.game#1]",
		"0s c1 call HandleInfo <nil>",
		"0s c1 call HandleInfo <nil>",
		"0s c1 call HandleInfo chan int#3",
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("rendered infos (-want +got):\n%s", diff)
	}
	if all := strings.Join(first, "\n"); strings.Contains(all, "0x") {
		t.Errorf("an address was printed:\n%s", all)
	}
}

type node struct{ name string }

// greeting's String handles a nil receiver, as fmt lets it.
type greeting struct{ to string }

func (g *greeting) String() string {
	if g == nil {
		return "hello, nobody"
	}
	return "hello, " + g.to
}

// Maps of pointers render the same in every run, whatever order Go walks
// them in; values that share an address but not a type are told apart.
func TestInfosWithMapsOfPointersRenderTheSame(t *testing.T) {
	infos := func() []any {
		byName := map[string]*node{}
		byNode := map[*node]int{}
		for i, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
			n := &node{name: name}
			byName[name] = n
			byNode[n] = i
		}
		first := byName["c"]
		var nobody *greeting
		return []any{byName, byNode, first, &first.name, nobody, &greeting{to: "ada"}, make([]int, 150)}
	}
	first := handleInfoLines(infos())
	for range 10 {
		if diff := cmp.Diff(first, handleInfoLines(infos())); diff != "" {
			t.Fatalf("two worlds gave different traces (-first +second):\n%s", diff)
		}
	}
	for i, want := range map[int]string{
		2: "0s c1 call HandleInfo &sim_test.node#3{c}", // c was third in name order
		3: "0s c1 call HandleInfo &string#9",           // c's name: same address, another thing
		4: "0s c1 call HandleInfo hello, nobody",
		5: "0s c1 call HandleInfo hello, ada",
	} {
		if first[i] != want {
			t.Errorf("line %d = %q, want %q", i, first[i], want)
		}
	}
	if !strings.HasSuffix(first[6], " …(150 elements)]") {
		t.Errorf("a long slice rendered as %q, want its first 100 elements and its length", first[6])
	}
}

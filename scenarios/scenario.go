package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Scenario is a script of steps: what clients and the server do and what
// clients expect, one step a line, as a scenario file holds it (see the
// package documentation for the format).
type Scenario struct {
	Name  string // what Parse was told, e.g. the file's path; failures name it
	Lines []Line
}

// Line is one line of a scenario file: a step, with an optional time stamp
// and comment; a comment alone; or a blank line (no step, no comment).
type Line struct {
	Step       Step          // nil for a comment or blank line
	At         time.Duration // when the step happened, since the start, if Stamped
	Stamped    bool
	Comment    string // after "# "
	HasComment bool
	Pos        int // the line's number in the file it was parsed from, or 0
}

// Add appends steps to s, one line each.
func (s *Scenario) Add(steps ...Step) {
	for _, step := range steps {
		s.Lines = append(s.Lines, Line{Step: step})
	}
}

// Steps returns the steps of s, in order.
func (s *Scenario) Steps() []Step {
	var steps []Step
	for _, l := range s.Lines {
		if l.Step != nil {
			steps = append(steps, l.Step)
		}
	}
	return steps
}

// String returns s in the canonical form of the scenario format: what Parse
// reads back to s.
func (s *Scenario) String() string {
	var b strings.Builder
	for _, l := range s.Lines {
		b.WriteString(l.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// String returns the line as a scenario file has it. A connect step's
// header lines follow the line, with its comment.
func (l Line) String() string {
	var parts []string
	if l.Stamped {
		parts = append(parts, "@"+l.At.String())
	}
	var more string // the indented lines of a connect step
	if l.Step != nil {
		first, rest, _ := strings.Cut(l.Step.String(), "\n")
		parts = append(parts, first)
		if rest != "" {
			more = "\n" + rest
		}
	}
	if l.HasComment {
		parts = append(parts, strings.TrimRight("# "+l.Comment, " "))
	}
	return strings.Join(parts, " ") + more
}

// MarshalText returns s in the canonical form of the scenario format, as
// String does, after checking that every line reads back as it is: a step
// the format cannot hold (an expected ping, a close frame of one byte to
// expect, a name with a space or one that is a keyword, a line break in a
// comment or a header) is an error naming the line, where String would
// write what Parse rejects or reads otherwise. Recorders write files with
// it.
func (s *Scenario) MarshalText() ([]byte, error) {
	for i, l := range s.Lines {
		if l.Step == nil && !l.HasComment && !l.Stamped {
			continue // a blank line
		}
		text := l.String()
		back, err := Parse("", []byte(text))
		var got Line
		if err == nil && len(back.Lines) == 1 {
			got = back.Lines[0]
			got.Pos = l.Pos
		}
		if err != nil || !cmp.Equal(got, l, sameSlices) {
			first, _, _ := strings.Cut(text, "\n")
			why := fmt.Sprintf("it reads back as %q", strings.TrimSpace(got.String()))
			var se *SyntaxError
			if errors.As(err, &se) {
				why = fmt.Sprintf("column %d: %s", se.Col, se.Msg)
			}
			return nil, fmt.Errorf("scenarios: line %d, %q, cannot be written in the scenario format: %s", i+1, first, why)
		}
	}
	text := []byte(s.String())
	if _, err := Parse("", text); err != nil { // what a line cannot tell: limits on the whole
		return nil, fmt.Errorf("scenarios: the scenario cannot be written: %v", err)
	}
	return text, nil
}

// UnmarshalText parses text in the scenario format into s, as [Parse]
// does, for encodings that take a TextMarshaler both ways.
func (s *Scenario) UnmarshalText(text []byte) error {
	parsed, err := Parse(s.Name, text)
	if err != nil {
		return err
	}
	*s = *parsed
	return nil
}

// sameSlices compares a line's slices, empty or nil alike; payloads at
// once, where cmp would compare them element by element (half a second for
// a payload of 70000 bytes).
var sameSlices = cmp.Options{
	cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) }),
	cmp.Comparer(func(a, b []Header) bool { return slices.Equal(a, b) }),
}

// ReadFile parses the scenario file at path.
func ReadFile(path string) (*Scenario, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, text)
}

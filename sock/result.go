package sock

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Result tells the Session what a callback wants done: frames to push and
// whether to keep going or close. The zero Result keeps the connection open and
// pushes nothing, like [Continue].
//
// Frames of one Result are written in order and before its close frame;
// nothing is written after a close. A Result that cannot be honoured — a text
// frame that is not UTF-8, a close code that is not [CloseCode.Valid], a close
// text that is not UTF-8 or longer than 123 bytes, a frame that is neither
// data nor ping/pong, a control frame over 125 bytes — is a handler bug: none
// of its frames are written, the connection closes with 1011 and Terminate
// receives an error wrapping [ErrBadResult]. sock never writes a malformed
// frame and never truncates a close text.
type Result struct {
	first  Frame   // the first pushed frame, kept inline so one push does not allocate
	more   []Frame // the frames after first
	pushed bool    // first holds a frame
	stop   stopKind
	code   CloseCode
	text   string
	err    error
}

type stopKind uint8

const (
	keepGoing stopKind = iota
	stopNormal
	stopError
	stopClose
)

// Continue keeps the connection open and pushes nothing.
func Continue() Result { return Result{} }

// Push keeps the connection open and pushes frames, in order. Pushing one
// frame does not allocate.
func Push(f Frame, more ...Frame) Result { return Result{first: f, more: more, pushed: true} }

// Stop closes the connection normally (1000). Terminate sees [ReasonNormal].
func Stop() Result { return Result{}.Stop() }

// StopWith closes the connection because of err. The close code and text
// are those of the first [*CloseError] in err's chain, else 1011 without a
// text; Terminate sees [ReasonError] with err. A CloseError that may not be
// sent is a handler bug, reported as for [Close]. StopWith(nil) is Stop().
func StopWith(err error) Result { return Result{}.StopWith(err) }

// Close closes the connection with code and text. Terminate sees
// [ReasonNormal] with that code.
func Close(code CloseCode, text string) Result { return Result{}.Close(code, text) }

// Stop returns r with its frames pushed and then a normal close (1000).
func (r Result) Stop() Result {
	r.stop, r.code, r.text, r.err = stopNormal, CloseNormal, "", nil
	return r
}

// StopWith returns r with its frames pushed and then a close because of err;
// see the function [StopWith].
func (r Result) StopWith(err error) Result {
	if err == nil {
		return r.Stop()
	}
	code, text := CloseInternalError, ""
	var ce *CloseError
	if errors.As(err, &ce) {
		code, text = ce.Code, ce.Text
	}
	r.stop, r.code, r.text, r.err = stopError, code, text, err
	return r
}

// Close returns r with its frames pushed and then a close frame with code and
// text.
func (r Result) Close(code CloseCode, text string) Result {
	r.stop, r.code, r.text, r.err = stopClose, code, text, nil
	return r
}

// String describes r for logs and traces, e.g. `push [text "hi"] then close
// 4000 "bye"`, `continue` or `stop with error 1011: EOF`.
func (r Result) String() string {
	var b strings.Builder
	if r.pushed {
		b.WriteString("push [")
		r.frames(func(f Frame) {
			if b.Len() > len("push [") {
				b.WriteString(", ")
			}
			b.WriteString(f.String())
		})
		b.WriteString("]")
	}
	var end string
	switch r.stop {
	case keepGoing:
		if b.Len() == 0 {
			return "continue"
		}
		return b.String()
	case stopNormal:
		end = "stop"
	case stopClose:
		end = "close " + strconv.Itoa(int(r.code)) + " " + strconv.Quote(r.text)
	case stopError:
		end = fmt.Sprintf("stop with error %d: %v", int(r.code), r.err)
	}
	if b.Len() == 0 {
		return end
	}
	return b.String() + " then " + end
}

// Clone returns r with copies of the payloads it pushes, made by clone
// (bytes.Clone when nil). A Result may push a payload that is valid only
// until its callback returns (see [Frame]): Clone it to keep it longer, as
// traces do.
func (r Result) Clone(clone func([]byte) []byte) Result {
	if !r.pushed {
		return r
	}
	if clone == nil {
		clone = bytes.Clone
	}
	r.first.Payload = clone(r.first.Payload)
	if len(r.more) > 0 {
		more := make([]Frame, len(r.more))
		for i, f := range r.more {
			more[i] = Frame{Op: f.Op, Payload: clone(f.Payload)}
		}
		r.more = more
	}
	return r
}

// frames calls write for each pushed frame in order.
func (r *Result) frames(write func(Frame)) {
	if !r.pushed {
		return
	}
	write(r.first)
	for _, f := range r.more {
		write(f)
	}
}

// check returns why r cannot be honoured, or nil.
func (r *Result) check() error {
	var bad error
	r.frames(func(f Frame) {
		if bad != nil {
			return
		}
		switch {
		case f.Op == OpText:
			if !utf8.Valid(f.Payload) {
				bad = fmt.Errorf("%w: text frame is not UTF-8", ErrBadResult)
			}
		case f.Op == OpBinary:
		case f.Op == OpPing || f.Op == OpPong:
			if len(f.Payload) > maxControlPayload {
				bad = fmt.Errorf("%w: %s frame of %d bytes, the limit is %d", ErrBadResult, f.Op, len(f.Payload), maxControlPayload)
			}
		default:
			bad = fmt.Errorf("%w: cannot push a %s frame; return Close or Stop to close", ErrBadResult, f.Op)
		}
	})
	if bad != nil {
		return bad
	}
	switch r.stop {
	case stopClose:
		return checkClose(r.code, r.text)
	case stopError:
		if err := checkClose(r.code, r.text); err != nil {
			return fmt.Errorf("%w (stopping with: %v)", err, r.err)
		}
	}
	return nil
}

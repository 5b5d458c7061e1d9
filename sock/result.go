package sock

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Result tells the Session what a callback wants done: frames to push and
// whether to keep going or close. The zero Result keeps the connection open and
// pushes nothing, like [Continue].
//
// Frames of one Result are written in order and before its close frame;
// nothing is written after a close. A Result that cannot be honoured — a close
// code a server may not send, a reason that is not UTF-8 or longer than 123
// bytes, a frame that is neither data nor ping/pong, a control frame over 125
// bytes — is a handler bug: none of its frames are written, the connection
// closes with 1011 and Terminate receives [ErrBadResult]. sock never writes a
// malformed frame and never truncates a reason.
type Result struct {
	first  Frame   // the first pushed frame, kept inline so one push does not allocate
	more   []Frame // the frames after first
	pushed bool    // first holds a frame
	stop   stopKind
	code   CloseCode
	reason string
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

// StopWith closes the connection because of err. The close code and reason
// are those of a [*CloseError] in err's chain if they may be sent, else 1011
// without a reason; Terminate sees [ReasonError] with err. StopWith(nil) is
// Stop().
func StopWith(err error) Result { return Result{}.StopWith(err) }

// Close closes the connection with code and reason. Terminate sees
// [ReasonNormal] with that code.
func Close(code CloseCode, reason string) Result { return Result{}.Close(code, reason) }

// Stop returns r with its frames pushed and then a normal close (1000).
func (r Result) Stop() Result {
	r.stop, r.code, r.reason, r.err = stopNormal, CloseNormal, "", nil
	return r
}

// StopWith returns r with its frames pushed and then a close because of err;
// see the function [StopWith].
func (r Result) StopWith(err error) Result {
	if err == nil {
		return r.Stop()
	}
	code, reason := CloseInternalError, ""
	var ce *CloseError
	if errors.As(err, &ce) && checkClose(ce.Code, ce.Reason) == nil {
		code, reason = ce.Code, ce.Reason
	}
	r.stop, r.code, r.reason, r.err = stopError, code, reason, err
	return r
}

// Close returns r with its frames pushed and then a close frame with code and
// reason.
func (r Result) Close(code CloseCode, reason string) Result {
	r.stop, r.code, r.reason, r.err = stopClose, code, reason, nil
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
		end = "close " + strconv.Itoa(int(r.code)) + " " + strconv.Quote(r.reason)
	case stopError:
		end = fmt.Sprintf("stop with error %d: %v", int(r.code), r.err)
	}
	if b.Len() == 0 {
		return end
	}
	return b.String() + " then " + end
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
		case f.Op.isData():
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
	if r.stop == stopClose {
		return checkClose(r.code, r.reason)
	}
	return nil
}

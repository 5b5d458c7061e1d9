package sock

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Transport is what [Serve] needs of a WebSocket connection. Implement it to
// host sock handlers on any WebSocket library; sockhttp implements it on
// gorilla/websocket.
//
// Serve calls ReadFrames on one goroutine and WriteFrame and Close on
// another; a Transport must allow that.
type Transport interface {
	// ReadFrames reads until the connection fails or a close frame arrives,
	// calling emit for every whole text or binary message (fragments joined,
	// payload owned by the receiver) and every ping, pong and close frame, in
	// the order they arrive. It must emit a control frame as soon as it is
	// read, even in the middle of a fragmented message. It returns nil after
	// emitting a close frame; otherwise the error that stopped it, wrapping
	// ErrProtocol, ErrMessageTooBig or ErrInvalidUTF8 when the peer broke a
	// rule. emit may block.
	ReadFrames(emit func(Frame)) error

	// WriteFrame writes one frame, giving up at deadline. It must not write
	// anything after a close frame; writing a second close frame may be
	// silently skipped.
	WriteFrame(f Frame, deadline time.Time) error

	// Close closes the underlying connection; a blocked ReadFrames returns.
	Close() error
}

// Serve drives s over t until the connection is over, then closes t. It opens
// the Session, feeds it what t reads, the messages of its mailbox, its timers
// and — when ctx is cancelled — a shutdown (close 1001), and writes what it
// asks for. It uses one goroutine besides the caller's and returns only after
// that goroutine has exited.
//
// Serve returns nil when the connection ended normally, by the peer, by
// shutdown or by timeout, and [Reason].Err when it failed.
func Serve(ctx context.Context, t Transport, s *Session) error {
	frames := make(chan Frame)
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		readErr <- t.ReadFrames(func(f Frame) {
			select {
			case frames <- f:
			case <-stop:
			}
		})
	}()

	mail := make(chan struct{}, 1)
	s.NotifyMail(func() {
		select {
		case mail <- struct{}{}:
		default: // a token is waiting already
		}
	})
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	s.Open(time.Now())
	writeOutput(t, s)
	for !s.Done() {
		armTimer(timer, s.Deadline())
		select {
		case f := <-frames:
			s.Receive(time.Now(), f)
		case err := <-readErr:
			readErr = nil // the reader is gone; nothing more arrives
			s.Fail(time.Now(), err)
		case <-mail:
			s.DeliverMail(time.Now())
		case <-timer.C:
			s.Tick(time.Now())
		case <-ctx.Done():
			ctx = context.Background() // shut down once
			s.Shutdown(time.Now())
		}
		writeOutput(t, s)
	}

	close(stop)
	t.Close()
	if readErr != nil {
		<-readErr
	}
	if r := s.Reason(); r.Kind == ReasonError {
		return r.Err
	}
	return nil
}

// writeOutput writes what s asks for, reporting a failed write back to s.
func writeOutput(t Transport, s *Session) {
	for {
		out := s.Output()
		if len(out) == 0 {
			return
		}
		for i, f := range out {
			if err := t.WriteFrame(f, time.Now().Add(s.opts.WriteTimeout)); err != nil {
				clear(out)
				s.Fail(time.Now(), writeError(err))
				break // what Fail queued, if anything, is written by the next round
			}
			out[i] = Frame{} // do not keep the payload alive
		}
	}
}

// writeError tells a write timeout apart from other write errors.
func writeError(err error) error {
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return fmt.Errorf("%w: %w", ErrWriteTimeout, err)
	}
	return err
}

// armTimer makes timer fire at deadline, or not at all for the zero time.
func armTimer(timer *time.Timer, deadline time.Time) {
	if deadline.IsZero() {
		timer.Stop()
		return
	}
	timer.Reset(time.Until(deadline))
}

package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/sock"
)

// lineMode is socktui between pipes, as websocat and wscat are: each line of
// in is a text message, each message received a line of out (binary ones in
// hex), the close and errors on errOut. It returns the exit status: 0 for a
// clean end, 1 for a refusal or a failed connection.
func lineMode(ctx context.Context, c *client.Conn, o *options, rec *recorder, in io.Reader, out, errOut io.Writer) int {
	w := bufio.NewWriter(out)
	defer w.Flush()
	status := 1
	opened, done := false, false // done: -1 has had its message
	interrupted := make(chan struct{})
	go func() { // Ctrl-C: close, and drop the connection if the server does not answer
		select {
		case <-ctx.Done():
			close(interrupted)
			c.Close(sock.CloseNormal, "")
			select {
			case <-c.Done():
			case <-time.After(time.Second):
				c.Drop()
			}
		case <-c.Done():
		}
	}()
	for e := range c.Events() {
		if rec != nil {
			rec.event("c1", e)
		}
		if o.jsonl && !(done && e.Kind == client.In && e.Frame.Op.IsData()) {
			printJSON(w, e)
		}
		switch e.Kind {
		case client.Opened:
			opened, status = true, 0
			go sendLines(c, o.execute, in, o.wait, errOut)
		case client.Refused:
			if e.Handshake.Status != 0 {
				fmt.Fprintf(errOut, "socktui: refused: %d %s\n", e.Handshake.Status, e.Handshake.Body)
			} else {
				fmt.Fprintf(errOut, "socktui: %v\n", e.Err)
			}
		case client.In:
			if done && e.Frame.Op.IsData() {
				continue // -1: messages that were on their way
			}
			if !o.jsonl {
				printFrame(w, errOut, e.Frame)
			}
			if o.once && e.Frame.Op.IsData() {
				done = true
				c.Close(sock.CloseNormal, "")
			}
		case client.Closed:
			if e.Err != nil && opened {
				fmt.Fprintf(errOut, "socktui: %v\n", e.Err)
				status = 1
			}
		}
		if c.Buffered() == 0 {
			w.Flush()
		}
	}
	select {
	case <-interrupted:
		return 130 // as a shell reports SIGINT
	default:
	}
	return status
}

// sendLines sends the -x messages, then each line of in as a text
// message, losing none however fast they come; at the end of in, it closes
// the connection unless wait.
func sendLines(c *client.Conn, execute []string, in io.Reader, wait bool, errOut io.Writer) {
	s := bufio.NewScanner(in)
	s.Buffer(make([]byte, 64<<10), 64<<20)
	for _, m := range execute {
		if c.SendWait(sock.Text(m)) != nil {
			return // the connection is over: its end says why
		}
	}
	for s.Scan() {
		if c.SendWait(sock.Text(s.Text())) != nil {
			return
		}
	}
	if err := s.Err(); err != nil {
		fmt.Fprintln(errOut, "socktui: reading input:", err)
	}
	if !wait {
		c.Close(sock.CloseNormal, "")
	}
}

// printFrame prints a frame received in line mode: messages on out, the
// close on errOut; pings and pongs are not shown.
func printFrame(out, errOut io.Writer, f sock.Frame) {
	switch f.Op {
	case sock.OpText:
		fmt.Fprintf(out, "%s\n", f.Payload)
	case sock.OpBinary:
		fmt.Fprintf(out, "%s\n", hex.EncodeToString(f.Payload))
	case sock.OpClose:
		fmt.Fprintf(errOut, "socktui: server closed: %v\n", f)
	}
}

// jsonEvent is an event as --jsonl prints it.
type jsonEvent struct {
	At         string  `json:"at"`
	Event      string  `json:"event"`
	Type       string  `json:"type,omitempty"`
	Data       string  `json:"data,omitempty"`
	DataBase64 string  `json:"data_base64,omitempty"`
	Code       int     `json:"code,omitempty"`
	Reason     string  `json:"reason,omitempty"`
	RTTMillis  float64 `json:"rtt_ms,omitempty"`
	Status     int     `json:"status,omitempty"`
	Error      string  `json:"error,omitempty"`
}

func printJSON(w io.Writer, e client.Event) {
	j := jsonEvent{At: e.At.Format(time.RFC3339Nano), Event: e.Kind.String(), RTTMillis: float64(e.RTT.Microseconds()) / 1000}
	switch e.Kind {
	case client.In, client.Out:
		j.Type = e.Frame.Op.String()
		switch e.Frame.Op {
		case sock.OpText:
			j.Data = string(e.Frame.Payload)
		case sock.OpClose:
			if code, text, err := e.Frame.ParseClose(); err == nil {
				j.Code, j.Reason = int(code), text
			}
		default:
			j.DataBase64 = base64.StdEncoding.EncodeToString(e.Frame.Payload)
		}
	case client.Opened, client.Refused:
		j.Status = e.Handshake.Status
	case client.Note:
		j.Data = e.Text
	}
	if e.Err != nil {
		j.Error = e.Err.Error()
	}
	b, _ := json.Marshal(j)
	fmt.Fprintf(w, "%s\n", b)
}

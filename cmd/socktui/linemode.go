package main

import (
	"bufio"
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
func lineMode(c *client.Conn, o *options, rec *recorder, in io.Reader, out, errOut io.Writer) int {
	w := bufio.NewWriter(out)
	defer w.Flush()
	status := 1
	opened, done := false, false // done: -1 has had its message
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
			for _, m := range o.execute {
				c.Send(sock.Text(m))
			}
			go sendLines(c, in, o.wait)
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
	return status
}

// sendLines sends each line of in as a text message; at its end, it closes
// the connection unless wait.
func sendLines(c *client.Conn, in io.Reader, wait bool) {
	s := bufio.NewScanner(in)
	s.Buffer(make([]byte, 64<<10), 64<<20)
	for s.Scan() {
		if c.Send(sock.Text(s.Text())) != nil {
			return
		}
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
	At         string `json:"at"`
	Event      string `json:"event"`
	Type       string `json:"type,omitempty"`
	Data       string `json:"data,omitempty"`
	DataBase64 string `json:"data_base64,omitempty"`
	Code       int    `json:"code,omitempty"`
	Reason     string `json:"reason,omitempty"`
	RTTMillis  int64  `json:"rtt_ms,omitempty"`
	Status     int    `json:"status,omitempty"`
	Error      string `json:"error,omitempty"`
}

func printJSON(w io.Writer, e client.Event) {
	j := jsonEvent{At: e.At.Format(time.RFC3339Nano), Event: e.Kind.String(), RTTMillis: e.RTT.Milliseconds()}
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

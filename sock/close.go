package sock

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// CloseCode is the status code of a close frame (RFC 6455 §7.4).
type CloseCode uint16

// The close codes registered by RFC 6455 and IANA. Which of them may travel
// in a close frame is told by [CloseCode.Valid].
const (
	CloseNormal          CloseCode = 1000
	CloseGoingAway       CloseCode = 1001
	CloseProtocolError   CloseCode = 1002
	CloseUnsupportedData CloseCode = 1003
	CloseNoStatus        CloseCode = 1005
	CloseAbnormal        CloseCode = 1006
	CloseInvalidPayload  CloseCode = 1007
	ClosePolicyViolation CloseCode = 1008
	CloseTooBig          CloseCode = 1009
	CloseMandatoryExt    CloseCode = 1010
	CloseInternalError   CloseCode = 1011
	CloseServiceRestart  CloseCode = 1012
	CloseTryAgainLater   CloseCode = 1013
	CloseBadGateway      CloseCode = 1014
	CloseTLSHandshake    CloseCode = 1015
)

var closeCodeNames = map[CloseCode]string{
	CloseNormal:          "normal closure",
	CloseGoingAway:       "going away",
	CloseProtocolError:   "protocol error",
	CloseUnsupportedData: "unsupported data",
	CloseNoStatus:        "no status",
	CloseAbnormal:        "abnormal closure",
	CloseInvalidPayload:  "invalid payload",
	ClosePolicyViolation: "policy violation",
	CloseTooBig:          "message too big",
	CloseMandatoryExt:    "mandatory extension",
	CloseInternalError:   "internal error",
	CloseServiceRestart:  "service restart",
	CloseTryAgainLater:   "try again later",
	CloseBadGateway:      "bad gateway",
	CloseTLSHandshake:    "TLS handshake",
}

// String returns the code and its registered name, e.g. "1000 (normal
// closure)", or the number alone for an unregistered code.
func (c CloseCode) String() string {
	if name, ok := closeCodeNames[c]; ok {
		return strconv.Itoa(int(c)) + " (" + name + ")"
	}
	return strconv.Itoa(int(c))
}

// Valid reports whether c may travel in a close frame, in either direction:
// 1000–1003, 1007–1013 and 3000–4999.
//
// CloseNoStatus, CloseAbnormal and CloseTLSHandshake only describe what
// happened and never travel (RFC 6455 §7.4.1). CloseBadGateway (1014) is
// registered, but gorilla/websocket, on which the production adapter and
// many Go clients are built, fails the connection when it receives it; so a
// handler may not send it, and a peer that sends it breaks the protocol, on
// every transport alike. Use a code of 4000–4999 for a gateway error.
func (c CloseCode) Valid() bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1013:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// maxCloseText is the longest close text that fits a control frame.
const maxCloseText = maxControlPayload - 2

// checkClose reports why a handler may not send a close frame with code and
// text, or nil if it may.
func checkClose(code CloseCode, text string) error {
	switch {
	case !code.Valid():
		return fmt.Errorf("%w: close code %d may not be sent", ErrBadResult, int(code))
	case len(text) > maxCloseText:
		return fmt.Errorf("%w: close text of %d bytes, the limit is %d", ErrBadResult, len(text), maxCloseText)
	case !utf8.ValidString(text):
		return fmt.Errorf("%w: close text is not UTF-8", ErrBadResult)
	}
	return nil
}

// CloseFrame returns a close frame with code and text. CloseNoStatus gives a
// close frame with an empty payload, as RFC 6455 §7.1.5 prescribes.
func CloseFrame(code CloseCode, text string) Frame {
	if code == CloseNoStatus {
		return Frame{Op: OpClose}
	}
	p := make([]byte, 2+len(text))
	p[0], p[1] = byte(code>>8), byte(code)
	copy(p[2:], text)
	return Frame{Op: OpClose, Payload: p}
}

// ParseClose decodes the payload of a close frame: CloseNoStatus for an empty
// one. It fails, with an error wrapping [ErrProtocol], on a payload of one
// byte or over 125, a code that is not [CloseCode.Valid], or a text that is
// not UTF-8. It does not look at f.Op.
func (f Frame) ParseClose() (CloseCode, string, error) {
	p := f.Payload
	switch {
	case len(p) == 0:
		return CloseNoStatus, "", nil
	case len(p) == 1:
		return 0, "", fmt.Errorf("%w: close payload of one byte", ErrProtocol)
	case len(p) > maxControlPayload:
		return 0, "", fmt.Errorf("%w: close payload of %d bytes", ErrProtocol, len(p))
	}
	code := CloseCode(p[0])<<8 | CloseCode(p[1])
	if !code.Valid() {
		return 0, "", fmt.Errorf("%w: close code %d may not be sent", ErrProtocol, int(code))
	}
	if !utf8.Valid(p[2:]) {
		return 0, "", fmt.Errorf("%w: close text is not UTF-8", ErrProtocol)
	}
	return code, string(p[2:]), nil
}

// CloseError is a close frame seen as an error: the code and text a peer
// closed with, or the code a handler wants sent when it stops with an error
// (see [StopWith]).
type CloseError struct {
	Code CloseCode
	Text string
}

// Error returns "sock: close CODE (NAME): TEXT".
func (e *CloseError) Error() string {
	if e.Text == "" {
		return "sock: close " + e.Code.String()
	}
	return "sock: close " + e.Code.String() + ": " + e.Text
}

// CloseStatus returns the code of the first [*CloseError] in err's chain, or 0
// when there is none.
func CloseStatus(err error) CloseCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

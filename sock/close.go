package sock

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// CloseCode is the status code of a close frame (RFC 6455 §7.4).
type CloseCode uint16

// The close codes registered by RFC 6455 and IANA. A peer may send
// 1000–1003, 1007–1014 and 3000–4999; CloseNoStatus, CloseAbnormal and
// CloseTLSHandshake only describe what happened and never travel in a frame.
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

// valid reports whether c may travel in a close frame: 1000–1003, 1007–1014
// and 3000–4999 (RFC 6455 §7.4 and the IANA registry).
func (c CloseCode) valid() bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// maxCloseReason is the longest close reason that fits a control frame.
const maxCloseReason = maxControlPayload - 2

// checkClose reports why a handler may not send a close frame with code and
// reason, or nil if it may.
func checkClose(code CloseCode, reason string) error {
	switch {
	case !code.valid():
		return fmt.Errorf("%w: close code %d may not be sent", ErrBadResult, int(code))
	case len(reason) > maxCloseReason:
		return fmt.Errorf("%w: close reason of %d bytes, the limit is %d", ErrBadResult, len(reason), maxCloseReason)
	case !utf8.ValidString(reason):
		return fmt.Errorf("%w: close reason is not UTF-8", ErrBadResult)
	}
	return nil
}

// CloseError is a close frame seen as an error: the code and reason a peer
// closed with, or the code a handler wants sent when it stops with an error
// (see [StopWith]).
type CloseError struct {
	Code   CloseCode
	Reason string
}

// Error returns "sock: close CODE (NAME): REASON".
func (e *CloseError) Error() string {
	if e.Reason == "" {
		return "sock: close " + e.Code.String()
	}
	return "sock: close " + e.Code.String() + ": " + e.Reason
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

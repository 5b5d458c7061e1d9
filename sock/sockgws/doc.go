// Package sockgws hosts sockhttp servers on github.com/lxzan/gws: the
// same handlers, the same negotiation, limits, drain and hooks — the whole
// [sockhttp.Server] — with gws reading the frames.
//
//	ws := sockhttp.NewServer(factory, &sockhttp.Options{Host: sockgws.Host(nil)})
//	http.Handle("/ws", ws)
//
// gws is used as a frame reader only. It would answer close frames itself,
// send close frames of its own on every error and close the socket as it
// writes one; the Session owns those rules. So gws reads through a
// connection that swallows what it writes and ignores its Close, and this
// package writes the 101 response and every frame itself. The frames are
// followed as they are read, ahead of gws: a header that breaks the
// protocol, or a message past the limit or the server's memory budget, is
// refused before gws allocates for it (gws allocates a frame's declared
// length as its header arrives). What gws detects reaches the Session as
// a transport error, and the Session sends the close frame. gws's UTF-8
// check, compression and parallel mode stay off.
package sockgws

package sockt

import "testing"

// Run runs test twice as subtests: "sim" with a connection in the simulator
// ([New]) and "loopback" with one over a real socket ([Dial]). A handler that
// passes both behaves the same in tests and in production.
func Run(t *testing.T, f Factory, opts *Options, test func(t *testing.T, c *Conn)) {
	t.Helper()
	t.Run("sim", func(t *testing.T) { test(t, New(t, f, opts)) })
	t.Run("loopback", func(t *testing.T) { test(t, Dial(t, f, opts)) })
}

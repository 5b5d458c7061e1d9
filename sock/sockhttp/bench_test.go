package sockhttp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"
	"go.uber.org/goleak"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockgws"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// The benchmarks compare sockhttp with the smallest echo server one can write
// on gorilla/websocket directly, in one run, so that benchstat can report
// sockhttp relative to gorilla:
//
//	go test -run '^$' -bench . -count 6 ./sock/sockhttp > bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col '/server@(gorilla sockhttp)' bench.txt
//
// BenchmarkEcho runs its clients in the benchmark's process.
// BenchmarkIdleConnMemory runs each measurement in a fresh child process
// (this test binary again) and the clients in a grandchild, so that what it
// measures is one server's alone; TestIdleConnMemoryBudget does the same
// with fewer connections.

// benchMessageSize is the size of the binary messages echoed.
const benchMessageSize = 1 << 10

var benchIdleConns = flag.Int("idleconns", 2000,
	"number of idle connections BenchmarkIdleConnMemory opens per server; "+
		"the server and the client processes each hold one descriptor per connection")

// benchServer starts an echo server on 127.0.0.1; with checkJSON, its
// handler checks that every message is JSON (json.Valid) before it echoes
// it. start returns the server's ws:// URL and a function that waits for
// every server-side connection to end (the clients must have closed theirs)
// and stops the server.
type benchServer struct {
	name  string
	start func(checkJSON bool) (url string, stop func() error)
}

var benchServers = []benchServer{
	{"sockhttp", func(checkJSON bool) (string, func() error) {
		return benchSockhttpEcho(checkJSON, &sockhttp.Options{})
	}},
	{"sockhttp+hooks", func(checkJSON bool) (string, func() error) {
		return benchSockhttpEcho(checkJSON, &sockhttp.Options{Hooks: benchHooks()})
	}},
	{"sockhttp+gws", func(checkJSON bool) (string, func() error) {
		return benchSockhttpEcho(checkJSON, &sockhttp.Options{Host: sockgws.Host(nil)})
	}},
	{"gorilla", benchGorillaEcho},
	{"gws", benchGwsEcho},
}

// benchGwsEcho serves the raw gws echo: its Upgrader with default options
// (no compression, no parallel mode, no UTF-8 check), and a handler that
// writes every message back (or, with checkJSON, closes on one that is
// not JSON).
func benchGwsEcho(checkJSON bool) (string, func() error) {
	var live sync.WaitGroup
	up := gws.NewUpgrader(&gwsEcho{checkJSON: checkJSON}, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		live.Add(1)
		defer live.Done()
		c, err := up.Upgrade(w, r)
		if err != nil {
			return
		}
		c.ReadLoop()
	}))
	return benchWSURL(srv), stopWhenDone(srv, &live, "gws")
}

// stopWhenDone returns a raw server's stop: it waits for the server's
// handlers to end, 10s at most, then closes it.
func stopWhenDone(srv *httptest.Server, live *sync.WaitGroup, name string) func() error {
	return func() error {
		defer srv.Close()
		done := make(chan struct{})
		go func() {
			live.Wait()
			close(done)
		}()
		select {
		case <-done:
			return nil
		case <-time.After(10 * time.Second):
			<-done
			return fmt.Errorf("%s echo handlers still running 10s after their clients closed", name)
		}
	}
}

type gwsEcho struct {
	gws.BuiltinEventHandler
	checkJSON bool
}

func (e *gwsEcho) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	if e.checkJSON && !json.Valid(m.Bytes()) {
		c.WriteClose(1003, nil)
		return
	}
	c.WriteMessage(m.Opcode, m.Bytes())
}

// withDiscard returns opts whose connections log nothing, as the raw
// servers log nothing either.
func withDiscard(opts *sockhttp.Options) *sockhttp.Options {
	o := *opts
	o.ConnOptions = &sock.Options{Logger: discard}
	return &o
}

// benchHooks counts messages and bytes each way, as a metrics collector
// would.
func benchHooks() *sockhttp.Hooks {
	var in, out, inBytes, outBytes atomic.Int64
	return &sockhttp.Hooks{Conn: &sock.Hooks{
		Received: func(_ *sock.Conn, _ sock.Opcode, n int) { in.Add(1); inBytes.Add(int64(n)) },
		Sent:     func(_ *sock.Conn, _ sock.Opcode, n int) { out.Add(1); outBytes.Add(int64(n)) },
	}}
}

func benchServerNamed(name string) (benchServer, bool) {
	for _, s := range benchServers {
		if s.name == name {
			return s, true
		}
	}
	return benchServer{}, false
}

// benchSockhttpEcho serves sockhttp.Handler with opts (and a logger that
// discards), with a handler that pushes every message back.
func benchSockhttpEcho(checkJSON bool, opts *sockhttp.Options) (string, func() error) {
	echo := sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) })
	if checkJSON {
		echo = func(_ *sock.Conn, msg sock.Frame) sock.Result {
			if !json.Valid(msg.Payload) {
				return sock.Close(sock.CloseUnsupportedData, "not JSON")
			}
			return sock.Push(msg)
		}
	}
	ws := sockhttp.NewServer(func(*http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: echo}, nil
	}, withDiscard(opts))
	srv := httptest.NewServer(ws)
	return benchWSURL(srv), func() error {
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ws.Shutdown(ctx); err != nil { // waits for every connection
			return fmt.Errorf("sockhttp Server.Shutdown: %w", err)
		}
		return nil
	}
}

// benchGorillaEcho serves the raw gorilla echo loop: Upgrade, then
// ReadMessage/WriteMessage until an error (or, with checkJSON, a message
// that is not JSON). Its Upgrader has sockhttp's default settings: zero
// buffer sizes (gorilla reuses the 4 KiB buffers of net/http's hijacked
// connection), no compression.
func benchGorillaEcho(checkJSON bool) (string, func() error) {
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	var live sync.WaitGroup
	// Two handlers rather than a test in the loop, which would make the
	// frame of the plain echo deeper.
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		live.Add(1) // before the 101, so before the client can close and stop can Wait
		defer live.Done()
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			op, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(op, p); err != nil {
				return
			}
		}
	})
	if checkJSON {
		echo = func(w http.ResponseWriter, r *http.Request) {
			live.Add(1)
			defer live.Done()
			c, err := upgrader.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			for {
				op, p, err := c.ReadMessage()
				if err != nil || !json.Valid(p) {
					return
				}
				if err := c.WriteMessage(op, p); err != nil {
					return
				}
			}
		}
	}
	srv := httptest.NewServer(echo)
	return benchWSURL(srv), stopWhenDone(srv, &live, "gorilla")
}

func benchWSURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

// benchDialer connects without a proxy, whatever the environment says.
var benchDialer = websocket.Dialer{HandshakeTimeout: 10 * time.Second}

// benchDial opens n client connections to url.
func benchDial(url string, n int) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, 0, n)
	for range n {
		c, resp, err := benchDialer.Dial(url, nil)
		if err != nil {
			benchCloseAll(conns)
			return nil, fmt.Errorf("Dial(%s): %w", url, err)
		}
		resp.Body.Close()
		conns = append(conns, c)
	}
	return conns, nil
}

func benchCloseAll(conns []*websocket.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// benchRoundTrips writes msg and reads the echo n times. It reads the echo
// into a reused buffer so that the client allocates as little as possible:
// its cost is in both servers' figures.
func benchRoundTrips(c *websocket.Conn, msg []byte, n int) error {
	return benchTimedRoundTrips(c, msg, n, nil)
}

// benchTimedRoundTrips is benchRoundTrips, recording how long each round
// trip took in took, unless it is nil (it then holds n durations at least).
func benchTimedRoundTrips(c *websocket.Conn, msg []byte, n int, took []time.Duration) error {
	buf := make([]byte, len(msg)+1) // one byte more to see the end of the message
	for i := range n {
		var start time.Time
		if took != nil {
			start = time.Now()
		}
		if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		op, r, err := c.NextReader()
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		got, err := io.ReadFull(r, buf)
		if err != io.ErrUnexpectedEOF { // the message ended before buf was full
			return fmt.Errorf("read: %d bytes, %v; want a %d-byte message", got, err, len(msg))
		}
		if took != nil {
			took[i] = time.Since(start)
		}
		if op != websocket.BinaryMessage || !bytes.Equal(buf[:got], msg) {
			return fmt.Errorf("echo: got a %d-byte message of type %d, want the %d-byte binary message sent", got, op, len(msg))
		}
	}
	return nil
}

func benchMessage() []byte {
	msg := make([]byte, benchMessageSize)
	for i := range msg {
		msg[i] = byte(i*7 + 3)
	}
	return msg
}

// benchJSONMessage returns a JSON document of benchMessageSize bytes.
func benchJSONMessage() []byte {
	const open, end = `{"text":"`, `"}`
	return []byte(open + strings.Repeat("a", benchMessageSize-len(open)-len(end)) + end)
}

// BenchmarkEcho measures round trips of 1 KiB binary messages over loopback,
// with 1 and 100 connections, each driven by its own goroutine. One op is one
// message echoed; msgs/s is the throughput of all connections together. The
// clients run in this process and take their share of the CPUs, the same
// for both servers; allocations (B/op, allocs/op) are the client's and the
// server's together.
func BenchmarkEcho(b *testing.B) {
	for _, conns := range []int{1, 100} {
		b.Run("conns="+strconv.Itoa(conns), func(b *testing.B) {
			for _, srv := range benchServers {
				b.Run("server="+srv.name, func(b *testing.B) { benchEcho(b, srv, conns) })
			}
		})
	}
}

func benchEcho(b *testing.B, srv benchServer, conns int) {
	ignore := goleak.IgnoreCurrent()
	b.ReportAllocs()
	url, stop := srv.start(false)
	defer func() { // only when a Fatal cut the benchmark short
		if stop != nil {
			_ = stop()
		}
	}()
	clients, err := benchDial(url, conns)
	if err != nil {
		b.Fatal(err)
	}
	msg := benchMessage()

	// Connection i makes b.N/conns round trips, plus one for the first
	// b.N%conns connections: b.N messages are echoed in all.
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range clients {
		n := b.N / conns
		if i < b.N%conns {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := benchRoundTrips(c, msg, n); err != nil {
				b.Errorf("connection %d: %v", i, err)
			}
		}()
	}
	b.ResetTimer()
	close(start)
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")

	benchCloseAll(clients)
	err = stop()
	stop = nil
	if err != nil {
		b.Error(err)
	}
	goleak.VerifyNone(b, ignore)
}

// benchIdlePath is what each connection goes through before it idles.
type benchIdlePath struct {
	name string
	ping bool // the client pings first, and checks the pong came before the echo
	json bool // the message is JSON, and the server's handler checks it (json.Valid) before echoing it
}

// benchIdlePaths are the paths BenchmarkIdleConnMemory and
// TestIdleConnMemoryBudget measure: each one runs deeper than the others
// somewhere (in the transport's write of a pong, in the handler) and a
// connection whose stack grew there keeps 8 KiB of stack while it idles.
var benchIdlePaths = []benchIdlePath{
	{name: "echo"},
	{name: "ping", ping: true},
	{name: "json", json: true},
}

func benchIdlePathNamed(name string) (benchIdlePath, bool) {
	for _, p := range benchIdlePaths {
		if p.name == name {
			return p, true
		}
	}
	return benchIdlePath{}, false
}

// roundTrip takes the client connection c along the path: one 1 KiB round
// trip, after a ping for path=ping, of a JSON message for path=json.
func (p benchIdlePath) roundTrip(c *websocket.Conn) error {
	msg := benchMessage()
	if p.json {
		msg = benchJSONMessage()
	}
	if !p.ping {
		return benchRoundTrips(c, msg, 1)
	}
	ponged := false
	c.SetPongHandler(func(string) error { ponged = true; return nil })
	if err := c.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(10*time.Second)); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if err := benchRoundTrips(c, msg, 1); err != nil {
		return err
	}
	if !ponged {
		return errors.New("no pong before the echo")
	}
	return nil
}

// BenchmarkIdleConnMemory measures what one idle connection costs the
// server, for each path a connection may go through before it idles
// (benchIdlePaths). A fresh server process (this test binary again) starts
// the server and warms it up with one connection along the path, closed
// before measuring; then -idleconns clients (default 2000) in another
// process connect, and each goes along the path once: path=echo is one
// 1 KiB round trip, path=ping the same after a ping, path=json the round
// trip of a JSON message that the server's handler checks with json.Valid.
// The server process reports the growth, divided by the number of
// connections, of runtime.NumGoroutine (goroutines/conn) and of
// HeapInuse+StackInuse (bytes/conn, split in heap-bytes/conn and
// stack-bytes/conn), each read after two runtime.GC. A fresh process per
// measurement keeps the runtime's recycled goroutines (whose g structs and
// stacks are never freed) and the heap of earlier benchmarks out of the
// figures.
//
// A goroutine's stack starts at 2 KiB (or at the runtime's running average
// of stack use), doubles when a call needs more, and is halved at a GC only
// when less than a quarter of it is in use. An idle connection's goroutine
// is parked 2.4 KiB deep (net/http's serving frames alone are 1.2 KiB), so
// once any path has taken its stack past 4 KiB, it idles at 8 KiB: the
// figures are 4 KiB of stack per connection or 8, and what decides is the
// deepest point of the paths taken, not the idle depth.
//
// The measurement runs once per sub-benchmark, in the first iteration of its
// b.Loop: use -benchtime=1x (other iterations do nothing; with a time-based
// -benchtime, ns/op means nothing).
func BenchmarkIdleConnMemory(b *testing.B) {
	n := *benchIdleConns
	if n <= 0 {
		b.Fatalf("-idleconns=%d: want a positive number", n)
	}
	for _, path := range benchIdlePaths {
		b.Run("path="+path.name, func(b *testing.B) {
			for _, srv := range benchServers {
				b.Run("server="+srv.name, func(b *testing.B) {
					var cost benchIdleCost
					measured := false
					for b.Loop() {
						if !measured {
							var err error
							if cost, err = benchRunIdleServer(srv.name, path, n); err != nil {
								b.Fatal(err)
							}
							measured = true
						}
					}
					b.ReportMetric(cost.Bytes(), "bytes/conn")
					b.ReportMetric(cost.Heap, "heap-bytes/conn")
					b.ReportMetric(cost.Stack, "stack-bytes/conn")
					b.ReportMetric(cost.Goroutines, "goroutines/conn")
				})
			}
		})
	}
}

// benchIdleCost is a server's cost of one idle connection.
type benchIdleCost struct {
	Heap, Stack, Goroutines float64
}

// Bytes is the memory of one idle connection, heap and stack.
func (c benchIdleCost) Bytes() float64 { return c.Heap + c.Stack }

func (c benchIdleCost) String() string {
	return fmt.Sprintf("%.0f bytes/conn (heap %.0f, stack %.0f), %.3f goroutines/conn", c.Bytes(), c.Heap, c.Stack, c.Goroutines)
}

// The child processes are this test binary started with benchRoleEnv set;
// init catches them before any test machinery runs. The server process
// prints its result as one line, "result HEAP STACK GOROUTINES"; the clients
// process prints "ready" once its connections are idle and closes them when
// its stdin ends.
const (
	benchRoleEnv   = "SOCKHTTP_BENCH_ROLE"   // "idle-server", "idle-clients" or "echo-server"
	benchServerEnv = "SOCKHTTP_BENCH_SERVER" // the servers: the benchServer's name
	benchPathEnv   = "SOCKHTTP_BENCH_PATH"   // both: the benchIdlePath's name
	benchURLEnv    = "SOCKHTTP_BENCH_URL"    // idle-clients: where to connect
	benchConnsEnv  = "SOCKHTTP_BENCH_CONNS"  // both: how many connections
	benchReady     = "ready"
	benchResult    = "result"
)

func init() {
	role := os.Getenv(benchRoleEnv)
	if role == "" {
		return
	}
	if role == "echo-server" {
		benchChildExit(role, benchEchoServerMain(os.Getenv(benchServerEnv)))
	}
	n, err := strconv.Atoi(os.Getenv(benchConnsEnv))
	path, ok := benchIdlePathNamed(os.Getenv(benchPathEnv))
	switch {
	case err != nil || n <= 0:
		err = fmt.Errorf("bad %s=%q", benchConnsEnv, os.Getenv(benchConnsEnv))
	case !ok:
		err = fmt.Errorf("bad %s=%q", benchPathEnv, os.Getenv(benchPathEnv))
	case role == "idle-server":
		err = benchIdleServerMain(os.Getenv(benchServerEnv), path, n)
	case role == "idle-clients":
		err = benchIdleClientsMain(os.Getenv(benchURLEnv), path, n)
	default:
		err = fmt.Errorf("unknown %s=%q", benchRoleEnv, role)
	}
	benchChildExit(role, err)
}

// benchChildExit ends a child process, reporting err.
func benchChildExit(role string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s process: %v\n", role, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// benchChild is a child process talking over its stdin and stdout.
type benchChild struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
}

// benchStart starts this test binary as a child with env added to the
// environment. Its stderr is ours.
func benchStart(env ...string) (*benchChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &benchChild{cmd: cmd, stdin: stdin, stdout: bufio.NewReader(stdout)}, nil
}

// readLine returns the child's next line of output. A child that does not
// write one within two minutes is killed.
func (c *benchChild) readLine() (string, error) {
	kill := time.AfterFunc(2*time.Minute, func() { _ = c.cmd.Process.Kill() })
	defer kill.Stop()
	line, err := c.stdout.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

// wait closes the child's stdin and waits for it to exit.
func (c *benchChild) wait() error {
	c.stdin.Close()
	return c.cmd.Wait()
}

// benchRunIdleServer measures, in a fresh server process, what n idle
// connections that went along path cost the named server.
func benchRunIdleServer(server string, path benchIdlePath, n int) (benchIdleCost, error) {
	child, err := benchStart(benchRoleEnv+"=idle-server", benchServerEnv+"="+server,
		benchPathEnv+"="+path.name, benchConnsEnv+"="+strconv.Itoa(n))
	if err != nil {
		return benchIdleCost{}, fmt.Errorf("starting the server process: %w", err)
	}
	line, readErr := child.readLine()
	if err := child.wait(); err != nil {
		return benchIdleCost{}, fmt.Errorf("server process: %w", err)
	}
	var cost benchIdleCost
	if _, err := fmt.Sscanf(line, benchResult+" %g %g %g", &cost.Heap, &cost.Stack, &cost.Goroutines); err != nil {
		return benchIdleCost{}, fmt.Errorf("server process wrote %q (%v): %w", line, readErr, err)
	}
	return cost, nil
}

type benchUsage struct {
	heap, stack uint64
	goroutines  int
}

// benchMeasureUsage collects garbage twice (the second run also empties the
// sync.Pools' victim caches) and reads the process's usage.
func benchMeasureUsage() benchUsage {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return benchUsage{heap: ms.HeapInuse, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
}

// benchIdleServerMain is the server process: it measures what n idle
// connections that went along path cost the named server and prints the
// result per connection.
func benchIdleServerMain(server string, path benchIdlePath, n int) error {
	srv, ok := benchServerNamed(server)
	if !ok {
		return fmt.Errorf("unknown server %q", server)
	}
	ignore := goleak.IgnoreCurrent()
	url, stop := srv.start(path.json)
	serving := goleak.IgnoreCurrent() // the server's own goroutines

	// Pay the one-time costs (lazily built tables, the default logger...),
	// then wait for the warm-up connection's goroutines to end.
	warm, err := benchDial(url, 1)
	if err == nil {
		err = path.roundTrip(warm[0])
		benchCloseAll(warm)
	}
	if err == nil {
		err = goleak.Find(serving)
	}
	if err != nil {
		_ = stop()
		return fmt.Errorf("warm-up: %w", err)
	}

	before := benchMeasureUsage()
	clients, err := benchStart(benchRoleEnv+"=idle-clients", benchURLEnv+"="+url,
		benchPathEnv+"="+path.name, benchConnsEnv+"="+strconv.Itoa(n))
	if err != nil {
		_ = stop()
		return fmt.Errorf("starting the clients process: %w", err)
	}
	line, readErr := clients.readLine()
	after := benchMeasureUsage()
	if err := clients.wait(); err != nil || line != benchReady {
		_ = stop()
		return fmt.Errorf("clients process wrote %q (%v), exit: %v", line, readErr, err)
	}
	if err := stop(); err != nil {
		return err
	}
	if err := goleak.Find(ignore); err != nil {
		return err
	}

	per := func(before, after uint64) float64 { return (float64(after) - float64(before)) / float64(n) }
	fmt.Printf("%s %g %g %g\n", benchResult, per(before.heap, after.heap), per(before.stack, after.stack),
		float64(after.goroutines-before.goroutines)/float64(n))
	return nil
}

// benchIdleClientsMain is the clients process: it opens n connections to url,
// takes each along path, prints benchReady, waits for its stdin to end, then
// closes the connections.
func benchIdleClientsMain(url string, path benchIdlePath, n int) error {
	conns := make([]*websocket.Conn, n)
	defer benchCloseAll(conns)
	var (
		next  atomic.Int64
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for range 8 { // a few dialers at a time: the server's accept loop is the limit
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				c, resp, err := benchDialer.Dial(url, nil)
				if err == nil {
					resp.Body.Close()
					conns[i] = c
					err = path.roundTrip(c)
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("connection %d of %d: %w", i, n, err)
					}
					mu.Unlock()
					next.Store(int64(n)) // stop the others
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	fmt.Println(benchReady)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

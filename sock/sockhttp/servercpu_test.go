package sockhttp_test

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkEchoServerCPU measures what BenchmarkEcho does, with the server
// in a child process of its own (this test binary again): the CPU time the
// server process spends per message echoed (server-ns/msg, user and system
// time), and the median and 99th percentile of the round trips' latency
// (p50-µs, p99-µs). Throughput moves with whatever else runs on the
// machine, and the clients share its CPUs with the server; the server's own
// CPU time a message, and the median latency, move far less, so servers
// compare better by them:
//
//	go test -run '^$' -bench EchoServerCPU -count 6 ./sock/sockhttp > cpu.txt
//	benchstat -col '/server@(gws sockhttp+gws)' -filter '.unit:server-ns/msg' cpu.txt
func BenchmarkEchoServerCPU(b *testing.B) {
	if benchProcessCPU() == 0 {
		b.Skip("no CPU time of a process on this system")
	}
	for _, conns := range []int{1, 100} {
		b.Run("conns="+strconv.Itoa(conns), func(b *testing.B) {
			for _, srv := range benchServers {
				b.Run("server="+srv.name, func(b *testing.B) { benchEchoServerCPU(b, srv.name, conns) })
			}
		})
	}
}

// The echo-server child prints its URL, then, for every line it reads, its
// CPU time so far in nanoseconds; it stops when its stdin ends.
const benchCPUMark = "cpu"

func benchEchoServerCPU(b *testing.B, server string, conns int) {
	// The server gets the benchmark's -cpu.
	child, err := benchStart(benchRoleEnv+"=echo-server", benchServerEnv+"="+server,
		"GOMAXPROCS="+strconv.Itoa(runtime.GOMAXPROCS(0)))
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := child.wait(); err != nil {
			b.Errorf("server process: %v", err)
		}
	}()
	url, err := child.readLine()
	if err != nil {
		b.Fatalf("server process: %v", err)
	}
	clients, err := benchDial(url, conns)
	if err != nil {
		b.Fatal(err)
	}
	defer benchCloseAll(clients)
	msg := benchMessage()
	for _, c := range clients { // warm up: the first message pays one-time costs
		if err := benchRoundTrips(c, msg, 1); err != nil {
			b.Fatal(err)
		}
	}
	cpu := func() time.Duration {
		fmt.Fprintln(child.stdin, benchCPUMark)
		line, err := child.readLine()
		ns, perr := strconv.ParseInt(line, 10, 64)
		if err != nil || perr != nil {
			b.Fatalf("server process wrote %q (%v)", line, err)
		}
		return time.Duration(ns)
	}

	took := make([]time.Duration, b.N) // every round trip's, each connection's in a part of its own
	rest := took
	before := cpu()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range clients {
		n := b.N / conns
		if i < b.N%conns {
			n++
		}
		mine := rest[:n]
		rest = rest[n:]
		wg.Go(func() {
			if err := benchTimedRoundTrips(c, msg, n, mine); err != nil {
				b.Errorf("connection %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	used := cpu() - before
	slices.Sort(took)
	b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "server-ns/msg")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(took[b.N/2])/1e3, "p50-µs")
	b.ReportMetric(float64(took[b.N*99/100])/1e3, "p99-µs")
}

// benchEchoServerMain is the echo-server process.
func benchEchoServerMain(server string) error {
	srv, ok := benchServerNamed(server)
	if !ok {
		return fmt.Errorf("unknown server %q", server)
	}
	url, stop := srv.start(false)
	fmt.Println(url)
	var line []byte
	buf := make([]byte, 64)
	for {
		n, err := os.Stdin.Read(buf)
		line = append(line, buf[:n]...)
		for strings.Contains(string(line), "\n") {
			_, rest, _ := strings.Cut(string(line), "\n")
			line = []byte(rest)
			fmt.Println(int64(benchProcessCPU()))
		}
		if err != nil { // the benchmark is over: its clients have closed
			return stop()
		}
	}
}

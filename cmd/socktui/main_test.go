package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// binary is socktui, built once for the tests that run it through pipes.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "socktui")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "socktui")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// socktuiRun runs the binary with args and stdin, and returns its output
// and exit status.
func socktuiRun(t *testing.T, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), 0
}

func TestLineModeEchoes(t *testing.T) {
	out, errOut, status := socktuiRun(t, "hello\nworld\n")
	if status != 0 || out != "hello\nworld\n" {
		t.Errorf("echo through pipes: status %d, stdout %q, stderr %q", status, out, errOut)
	}
}

func TestLineModeExecuteAndOnce(t *testing.T) {
	out, errOut, status := socktuiRun(t, "", "-x", "first", "-x", "second", "-1", "-w")
	if status != 0 || out != "first\n" {
		t.Errorf("-x first -x second -1: status %d, stdout %q, stderr %q", status, out, errOut)
	}
}

func TestLineModeJSONL(t *testing.T) {
	out, _, status := socktuiRun(t, "hi\n", "--jsonl")
	if status != 0 {
		t.Fatalf("status %d", status)
	}
	// What goes out and what comes in are each in order; the two
	// interleave as the network pleases.
	byDir := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e jsonEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		byDir[e.Event] = append(byDir[e.Event], strings.TrimSpace(e.Type+" "+e.Data))
	}
	want := map[string][]string{"open": {""}, "out": {"text hi", "close"}, "in": {"text hi", "close"}, "closed": {""}}
	if fmt.Sprint(byDir) != fmt.Sprint(want) {
		t.Errorf("events %q, want %q", byDir, want)
	}
}

func TestLineModeRefused(t *testing.T) {
	live := httptest.NewServer(sockhttp.NewServer(func(*http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusUnauthorized, Body: "who are you?"}
	}, nil))
	defer live.Close()
	_, errOut, status := socktuiRun(t, "", live.URL)
	if status != 1 || !strings.Contains(errOut, "refused: 401 who are you?") {
		t.Errorf("status %d, stderr %q, want 1 and the refusal", status, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--cert", "c.pem"}, {"-H", "no colon"}, {"ws://a", "ws://b"}, {"ftp://x"}, {"run"}} {
		if _, _, status := socktuiRun(t, "", args...); status != 2 {
			t.Errorf("socktui %q: status %d, want 2", args, status)
		}
	}
}

// upper echoes in upper case: the demo's echo, changed.
type upper struct{}

func (upper) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	return sock.Push(sock.Text(strings.ToUpper(string(msg.Payload))))
}

// A session recorded against the demo replays against it, and fails
// against a server that answers otherwise, with a diff.
func TestRecordAndReplay(t *testing.T) {
	file := filepath.Join(t.TempDir(), "echo.scenario")
	if _, errOut, status := socktuiRun(t, "hello\n{\"id\":7,\"at\":\"12:00\"}\n", "--record", file, "--mask", "at", "-H", "Authorization: Bearer s3cret"); status != 0 {
		t.Fatalf("recording: status %d: %s", status, errOut)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"connect c1 /echo", "header Authorization: ${SOCKTUI_AUTHORIZATION}", `c1 send text "hello"`,
		`c1 expect text "hello"`, `c1 expect json {"at":"<any>","id":7}`, "c1 expect close 1000"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the recording lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(string(text), "s3cret") {
		t.Errorf("the recording holds the secret:\n%s", text)
	}

	t.Setenv("SOCKTUI_AUTHORIZATION", "Bearer s3cret")
	if out, errOut, status := socktuiRun(t, "", "run", file); status != 0 {
		t.Errorf("replay against the demo: status %d\n%s%s", status, out, errOut)
	}

	changed := httptest.NewServer(sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return upper{} }), nil))
	defer changed.Close()
	out, _, status := socktuiRun(t, "", "run", file, "--url", changed.URL)
	if status != 1 || !strings.Contains(out, `c1 expect text "hello"`) || !strings.Contains(out, `"HELLO"`) || !strings.Contains(out, "FAIL") {
		t.Errorf("replay against a changed server: status %d, want 1 and a diff:\n%s", status, out)
	}
}

// A pipe faster than the connection loses no line.
func TestLineModeLosesNoLine(t *testing.T) {
	var in strings.Builder
	for i := range 100000 {
		fmt.Fprintln(&in, i)
	}
	out, errOut, status := socktuiRun(t, in.String())
	if n := strings.Count(out, "\n"); status != 0 || n != 100000 {
		t.Errorf("100000 lines in: %d out, status %d, stderr %q", n, status, errOut)
	}
}

// Ctrl-C ends line mode, closing the connection.
func TestLineModeInterrupt(t *testing.T) {
	cmd := exec.Command(binary, "--no-tui", "-w")
	stdin, _ := cmd.StdinPipe()
	defer stdin.Close()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(stdin, "hello")
	echoed := bufio.NewScanner(stdout)
	if !echoed.Scan() || echoed.Text() != "hello" {
		t.Fatalf("no echo: %q", echoed.Text())
	}
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() {
		for echoed.Scan() { // the rest, until the end
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
			t.Errorf("after Ctrl-C: %v, want exit status 130", err)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("line mode did not end on Ctrl-C")
	}
}

package sockt

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-cmp/cmp"
)

// UpdateEnv is the environment variable that makes [Golden] rewrite golden
// files instead of comparing: SOCKT_UPDATE=1 go test ./...
const UpdateEnv = "SOCKT_UPDATE"

// Golden compares lines, typically a simulator [Conn.Transcript], with the
// golden file at path (conventionally under testdata/) and fails the test
// with a (-want +got) diff if they differ. With SOCKT_UPDATE=1 in the
// environment it writes lines to path instead. Over loopback, transcripts
// depend on timing: compare those only in the simulator.
func Golden(t TB, path string, lines []string) {
	t.Helper()
	got := strings.Join(lines, "\n") + "\n"
	if os.Getenv(UpdateEnv) == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("sockt: %v", err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("sockt: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("sockt: %v (run with %s=1 to create it)", err, UpdateEnv)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("sockt: transcript differs from %s (-want +got):\n%s\nrun with %s=1 to accept the new transcript", path, diff, UpdateEnv)
	}
}

package sockhttp

import "testing"

func TestSizeClass(t *testing.T) {
	for _, tc := range []struct{ size, class int }{
		{0, 0}, {1, 0}, {512, 0}, {513, 1}, {1024, 1}, {1025, 2},
		{32 << 10, 6}, {32<<10 + 1, 7}, {FreeBytes, sizeClasses - 1},
	} {
		if got := sizeClass(tc.size); got != tc.class {
			t.Errorf("sizeClass(%d) = %d, want %d", tc.size, got, tc.class)
		}
		if b := lend(tc.size); len(*b) < tc.size || len(*b) != minBuffer<<tc.class {
			t.Errorf("lend(%d) gave %d bytes, want %d", tc.size, len(*b), minBuffer<<tc.class)
		} else {
			giveBack(b)
		}
	}
}

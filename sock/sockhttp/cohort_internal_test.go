package sockhttp

import (
	"context"
	"testing"
)

// Cohorts that are full and empty are forgotten, the last one too: a
// server whose load falls to nothing between batches keeps none.
func TestCohortsForgotten(t *testing.T) {
	cs := cohorts{size: 1}
	for range 200 {
		c := cs.join(context.Background())
		cs.leave(c)
	}
	if n := len(cs.list); n != 0 {
		t.Errorf("%d cohorts kept for no connection", n)
	}
	cs.size = 2
	a := cs.join(context.Background())
	b := cs.join(context.Background())
	if a != b {
		t.Fatal("two connections in two cohorts of 2")
	}
	cs.leave(a)
	if len(cs.list) != 1 || a.ctx.Err() != nil {
		t.Error("a cohort with a connection open was forgotten")
	}
	cs.leave(b)
	if len(cs.list) != 0 || a.ctx.Err() == nil {
		t.Error("a full, empty cohort is kept, its context alive")
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestRunbookExecTwiceAtOnceRunsOnce: the cockpit and the CLI in another pane (or two
// panes) exec the same approved proposal. Each passed the gate before either recorded its
// run, so the step ran twice and the second record was refused. One runs; the other says
// the proposal is running here already or ran meanwhile.
func TestRunbookExecTwiceAtOnceRunsOnce(t *testing.T) {
	home, inc := newWorkspace(t)
	runs := filepath.Join(t.TempDir(), "runs")
	id := lowRiskRunbook(t, home, inc, "echo run >> "+runs+"; sleep 1")
	var wg sync.WaitGroup
	errs := make([]string, 2)
	codes := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i], codes[i] = tminus(t, home, "runbook", "exec", id[:10])
		}()
	}
	wg.Wait()
	data, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "run"); n != 1 {
		t.Fatalf("the step ran %d times; exits %v\n%s\n%s", n, codes, errs[0], errs[1])
	}
	if codes[0]+codes[1] != 1 {
		t.Fatalf("exits %v: want one run and one refusal\n%s\n%s", codes, errs[0], errs[1])
	}
}

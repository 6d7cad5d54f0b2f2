package main

import (
	"strings"
	"testing"
)

// The retro's time to recover is a row of its Metrics table, not a stray
// line after the severity history.
func TestRetroTimeToRecoverIsAMetric(t *testing.T) {
	home, inc := newWorkspace(t)
	for _, s := range []string{"triaged", "contained", "recovered", "resolved"} {
		must(t, home, "incident", "status", inc[:8], s)
	}
	out := must(t, home, "export", inc[:8], "--format", "md")
	if strings.Contains(out, "\nTime to recover:") {
		t.Errorf("a stray time to recover line:\n%s", out)
	}
	metrics := out[strings.Index(out, "## Metrics"):]
	if !strings.Contains(metrics, "| Time to recover | ") || strings.Contains(metrics, "| Time to recover | - |") {
		t.Errorf("no time to recover in the metrics table:\n%s", metrics)
	}
}

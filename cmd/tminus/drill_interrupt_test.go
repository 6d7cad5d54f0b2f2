package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// An interrupted drill is over: drill run resolved it as its facilitator,
// so drill list scores what nobody reached as missed at once and for good.
// It used to read "pending" (and running) until the deadline, then missed.
func TestInterruptedDrillIsMissedAtOnce(t *testing.T) {
	home, _ := newWorkspace(t)
	file := writeScenario(t, `name: Cut short
severity: P2
injects:
  - at: 0s
    alert: {title: "Cut alert", fingerprint: cut-1}
expect:
  - what: acknowledged
    within: 24h
  - what: contained
    within: 48h
`)
	code, errs := interruptDrill(t, home, file, "Cut alert")
	if code == 0 || !strings.Contains(errs, "what nobody reached is missed (tminus drill list shows the score)") {
		t.Fatalf("interrupted drill: exit %d: %s", code, errs)
	}
	var l []struct {
		Running, Interrupted bool
		Met, Total           int
		Milestones           []struct{ What, Score string }
	}
	mustJSON(t, must(t, home, "drill", "list", "--json"), &l)
	if len(l) != 1 || l[0].Running || !l[0].Interrupted || l[0].Met != 0 || l[0].Total != 2 {
		t.Fatalf("drill list: %+v, want one interrupted drill, not running, 0 of 2 met", l)
	}
	for _, m := range l[0].Milestones {
		want := ""
		if m.What == "acknowledged" || m.What == "contained" {
			want = "missed"
		}
		if m.Score != want {
			t.Errorf("%s scores %q, want %q", m.What, m.Score, want)
		}
	}
	text := must(t, home, "drill", "list")
	for _, want := range []string{"0 of 2 met (interrupted)", "MISSED", "not reached (the drill was interrupted)"} {
		if !strings.Contains(text, want) {
			t.Errorf("drill list lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "PENDING") || strings.Contains(text, "so far") {
		t.Errorf("an interrupted drill still reads as running:\n%s", text)
	}
}

// interruptDrill runs the scenario file as drill run does, at speed 60,
// and interrupts it (Ctrl-C) once its first alert, titled alert, is in the
// store: it returns the exit code and stderr.
func interruptDrill(t *testing.T, home, file, alert string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb strings.Builder
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--home", home, "drill", "run", file, "--speed", "60"}, strings.NewReader(""), &out, &errb)
	}()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(must(t, home, "alert", "list"), alert); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("the drill's alert %q never arrived: %s", alert, errb.String())
		}
	}
	cancel()
	return <-done, errb.String()
}

package tui

import "testing"

// R reopens a task marked done (by mistake, or the fix did not hold); on
// an open task it says so and signs nothing.
func TestTaskReopenKey(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("2") // tasks; the snapshot task, bob's, on top
	h.contains("add task · enter done")
	before := s.stored()
	h.press("R")
	h.contains("that task is not done")
	if n := s.stored() - before; n != 0 {
		t.Fatalf("%d events signed reopening an open task", n)
	}
	h.press("enter")
	if !s.st.Tasks[s.snapshot].Done {
		t.Fatal("enter did not mark the task done")
	}
	h.poll()
	h.contains("add task · R reopen") // the footer offers what enter cannot do
	h.press("enter")
	h.contains("already done (R reopens it)")
	h.press("R")
	if tk := s.st.Tasks[s.snapshot]; tk.Done || tk.DoneBy != "" {
		t.Fatalf("after R: %+v", tk)
	}
	if n := s.stored() - before; n != 2 {
		t.Errorf("%d events, want the done and the reopen", n)
	}
	h.poll()
	h.press("?")
	h.contains("reopen")
}

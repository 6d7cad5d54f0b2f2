package workspace

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
)

// A long-running process (the cockpit) signs through an agent that stops: the
// write says so, the next finds no agent and, with NoPrompt, says a passphrase
// would be needed rather than prompting on a terminal a full screen owns; once
// an agent answers again (a serve or tminus agent started since), the next
// write is signed by it. The process used to keep the dead connection and
// fail every write until it was restarted.
func TestWriteFindsTheAgentAgain(t *testing.T) {
	th := newHome(t)
	unsetPassphrase(t)
	k := agent.NewKeyring(th.key, agent.KeyringOptions{Workspace: func(context.Context) (domain.ID, error) { return th.ws, nil }})
	l, err := agent.Listen(bg, th.agentSock())
	if err != nil {
		t.Fatal(err)
	}
	srv := &agent.Server{Agent: k, UID: os.Getuid()}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(bg, l) }()

	h := th.open(t)
	h.NoPrompt = true
	note := func(text string) error {
		_, err := h.Write(bg, nil, &domain.Note{Incident: th.inc, Text: text})
		return err
	}
	if err := note("signed by the first agent"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	srv.Close()
	<-done
	before := count(t, th.dir)
	if err := note("its agent stopped"); !errors.Is(err, agent.ErrGone) {
		t.Fatalf("the write after the agent stopped: %v, want agent.ErrGone", err)
	}
	if err := note("no agent, no prompt"); !errors.Is(err, ErrNoPrompt) {
		t.Fatalf("the write with no agent: %v, want ErrNoPrompt", err)
	}
	if got := count(t, th.dir); got != before {
		t.Fatalf("%d events stored with nothing to sign them", got-before)
	}
	th.serveAgent(t, th.agentSock(), th.key, nil)
	if err := note("signed by the agent started since"); err != nil {
		t.Fatalf("the write once an agent answers again: %v", err)
	}
	if got := count(t, th.dir); got != before+1 {
		t.Fatalf("%d events stored, want the one note", got-before)
	}
}

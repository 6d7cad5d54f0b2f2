package workspace

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/store"
)

// Who signs a home's events: the agent when one answers (unlocked with a
// passphrase given without a prompt when it is locked), the keystore when
// none does; an agent named by TMINUS_AGENT_SOCK that does not answer, or
// one holding another key, is an error and never a reason to fall back.
func TestSigner(t *testing.T) {
	const (
		none     = ""
		unlocked = "unlocked"
		locked   = "locked"
		other    = "other key"
	)
	tests := []struct {
		name     string
		agent    string // who answers on the socket
		sock     string // TMINUS_AGENT_SOCK: "" the home's agent.sock; "elsewhere" a live agent in another directory; "dead" nothing there
		pass     string // TMINUS_PASSPHRASE; "" unset
		passFile string // --passphrase-file contents; "" none
		viaAgent bool   // the signer is the agent's
		want     error  // errors.Is
		text     string // in the error
	}{
		{name: "no agent: the keystore", agent: none, pass: pass},
		{name: "no agent: passphrase file", agent: none, passFile: pass + "\n"},
		{name: "no agent: wrong passphrase", agent: none, pass: "wrong", want: store.ErrPassphrase},
		{name: "agent holds the key", agent: unlocked, viaAgent: true},
		{name: "agent holds the key, passphrase unused", agent: unlocked, pass: "wrong", viaAgent: true},
		{name: "agent named by the environment", agent: unlocked, sock: "elsewhere", viaAgent: true},
		{name: "environment names a dead socket", agent: none, sock: "dead", pass: pass, want: agent.ErrNoAgent, text: AgentSockEnv},
		{name: "environment names a dead socket, agent in the home", agent: unlocked, sock: "dead", pass: pass, want: agent.ErrNoAgent},
		{name: "locked agent, no passphrase", agent: locked, want: agent.ErrLocked, text: "tminus agent unlock"},
		{name: "locked agent, passphrase in the environment", agent: locked, pass: pass, viaAgent: true},
		{name: "locked agent, passphrase file", agent: locked, passFile: pass + "\r\n", viaAgent: true},
		{name: "locked agent, wrong passphrase", agent: locked, pass: "wrong", text: "unlock the agent on"},
		{name: "agent holds another key", agent: other, pass: pass, text: "point " + AgentSockEnv + " at this home's agent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := newHome(t)
			unsetPassphrase(t)
			if tc.pass != "" {
				t.Setenv("TMINUS_PASSPHRASE", tc.pass)
			}
			path := th.agentSock()
			switch tc.sock {
			case "elsewhere":
				dir := filepath.Join(t.TempDir(), "s")
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				path = filepath.Join(dir, "agent.sock")
				t.Setenv(AgentSockEnv, path)
			case "dead":
				t.Setenv(AgentSockEnv, filepath.Join(t.TempDir(), "nothing.sock"))
			}
			log := &syncBuffer{}
			var k *agent.Keyring
			switch tc.agent {
			case unlocked, locked:
				k = th.serveAgent(t, path, th.key, log)
				if tc.agent == locked {
					k.Lock(bg)
				}
			case other:
				th.serveAgent(t, path, domaintest.Key(3, 0), log)
			}
			h := th.open(t)
			if tc.passFile != "" {
				h.PassFile = filepath.Join(t.TempDir(), "pass")
				if err := os.WriteFile(h.PassFile, []byte(tc.passFile), 0o600); err != nil {
					t.Fatal(err)
				}
			}

			s, err := h.Signer(bg)
			if tc.want != nil || tc.text != "" {
				if err == nil {
					t.Fatalf("signer %T, want an error", s)
				}
				if tc.want != nil && !errors.Is(err, tc.want) {
					t.Fatalf("signer: %v, want %v", err, tc.want)
				}
				if !strings.Contains(err.Error(), tc.text) {
					t.Fatalf("signer: %v, want %q", err, tc.text)
				}
				if s != nil || h.HasKey() || h.signer != nil || h.agent != nil {
					t.Fatalf("a refused signer left state behind: signer %v, key %v, agent %v", s, h.HasKey(), h.agent)
				}
				if k != nil && tc.agent == locked {
					if st, err := k.Status(bg); err != nil || !st.Locked {
						t.Fatalf("the agent was unlocked by a refused signer: %+v %v", st, err)
					}
				}
				// Nothing was written through a refused signer.
				if _, err := h.Append(bg, &domain.Note{Incident: th.inc, Text: "refused"}); err == nil {
					t.Fatal("a note was stored without a signer")
				}
				if n := count(t, th.dir); n != 2 {
					t.Fatalf("%d events stored, want the 2 of the new home", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("signer: %v", err)
			}
			if s.Address() != th.addr() {
				t.Fatalf("signer address %s, want the home's", s.Address().Hex())
			}
			switch s.(type) {
			case agent.Signer:
				if !tc.viaAgent || h.HasKey() {
					t.Fatalf("signs through the agent (process holds the key: %v), want the keystore", h.HasKey())
				}
			case domain.KeySigner:
				if tc.viaAgent || !h.HasKey() {
					t.Fatalf("signs with the keystore, want the agent")
				}
			default:
				t.Fatalf("signer %T", s)
			}
			if again, err := h.Signer(bg); err != nil || again != s {
				t.Fatalf("a second Signer call: %v %v", again, err)
			}
			e, err := h.Append(bg, &domain.Note{Incident: th.inc, Text: tc.name})
			if err != nil {
				t.Fatalf("append: %v", err)
			}
			if e.Author != th.addr() || e.Seq != 3 || e.Verify() != nil {
				t.Fatalf("event by %s seq %d: %v", e.Author.Hex(), e.Seq, e.Verify())
			}
			signedByAgent := strings.Contains(log.String(), "signed note.add seq 3 about "+th.inc.Short()+" event "+e.ID.Short())
			if signedByAgent != tc.viaAgent {
				t.Fatalf("agent log %q, signed through the agent: want %v", log.String(), tc.viaAgent)
			}
			if k != nil && tc.viaAgent {
				if st, err := k.Status(bg); err != nil || st.Locked {
					t.Fatalf("agent status after signing: %+v %v", st, err)
				}
			}
		})
	}
}

// Key unlocks the keystore in this process and checks it against the
// config; a home without a key file says it signs through an agent.
func TestKey(t *testing.T) {
	th := newHome(t)
	h := th.open(t)
	k, err := h.Key()
	if err != nil || crypto.PubkeyToAddress(k.PublicKey) != th.addr() || !h.HasKey() {
		t.Fatalf("key: %v", err)
	}

	// A config that names another address: the key file was swapped.
	h2 := th.open(t)
	c, err := h2.Config()
	if err != nil {
		t.Fatal(err)
	}
	c.Address = crypto.PubkeyToAddress(domaintest.Key(3, 0).PublicKey).Hex()
	if _, err := h2.Key(); err == nil || !strings.Contains(err.Error(), "config.yaml says") {
		t.Fatalf("key against another config address: %v", err)
	}

	if err := os.Rename(filepath.Join(th.dir, "key.json"), filepath.Join(th.dir, "key.away")); err != nil {
		t.Fatal(err)
	}
	if _, err := th.open(t).Key(); err == nil || !strings.Contains(err.Error(), "no key file") {
		t.Fatalf("key without a key file: %v", err)
	}
}

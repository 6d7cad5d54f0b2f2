package workspace

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
	"golang.org/x/term"
)

// AgentSockEnv overrides where a home's agent listens and is looked for.
const AgentSockEnv = "TMINUS_AGENT_SOCK"

// AgentSock is the agent socket for this home: TMINUS_AGENT_SOCK, or
// agent.sock in the home. explicit says the environment named it, so an
// agent that does not answer there is an error, not a reason to prompt.
func (h *Home) AgentSock() (path string, explicit bool) {
	if p := os.Getenv(AgentSockEnv); p != "" {
		return p, true
	}
	return filepath.Join(h.Dir, "agent.sock"), false
}

// NodeSock is where the process writing this home's store (serve, or a
// cockpit) takes other processes' writes. It is always in the home: it is
// the home's, never forwarded.
func (h *Home) NodeSock() string { return filepath.Join(h.Dir, "node.sock") }

// HasKey reports whether this process holds the key itself (it unlocked
// the keystore) rather than signing through an agent.
func (h *Home) HasKey() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.key != nil
}

// Key unlocks the keystore in this process, once: what needs the private key
// itself (the devp2p node identity, a drill's derived peer keys) and cannot
// ask an agent, which never hands its key out.
func (h *Home) Key() (*ecdsa.PrivateKey, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.unlockKey()
}

// unlockKey is Key with mu held.
func (h *Home) unlockKey() (*ecdsa.PrivateKey, error) {
	if h.key != nil {
		return h.key, nil
	}
	if _, err := os.Stat(h.KeyPath()); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s has no key file: this copy signs through a forwarded agent, which never hands its key out (README: the key stays on the laptop)", h.Dir)
	}
	pass, err := h.passphrase(false)
	if err != nil {
		return nil, err
	}
	k, err := store.UnlockKey(h.KeyPath(), pass)
	if err != nil {
		return nil, err
	}
	if want, err := h.Address(); err == nil && crypto.PubkeyToAddress(k.PublicKey) != want {
		return nil, fmt.Errorf("%s holds %s, config.yaml says %s", h.KeyPath(), crypto.PubkeyToAddress(k.PublicKey).Hex(), want.Hex())
	}
	h.key = k
	return k, nil
}

// Signer is who signs this home's events: the key this process holds, the
// agent when its socket answers, or else the keystore, unlocked here with
// the passphrase from TMINUS_PASSPHRASE, --passphrase-file or a prompt. An
// agent that answers locked is unlocked with a passphrase given by the
// environment or a file, and is otherwise an error: a script never falls
// through to a prompt.
func (h *Home) Signer(ctx context.Context) (domain.Signer, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.resolveSigner(ctx)
}

// resolveSigner is Signer with mu held.
func (h *Home) resolveSigner(ctx context.Context) (domain.Signer, error) {
	if h.signer != nil {
		return h.signer, nil
	}
	if h.key != nil {
		h.signer = domain.KeySigner{Key: h.key}
		return h.signer, nil
	}
	want, err := h.Address()
	if err != nil {
		return nil, err
	}
	path, explicit := h.AgentSock()
	c, err := agent.Dial(path)
	if err != nil {
		if explicit {
			return nil, fmt.Errorf("%s=%s: %w (start one with tminus agent, or unset %s to unlock the keystore here)", AgentSockEnv, path, err, AgentSockEnv)
		}
		if _, serr := os.Stat(h.KeyPath()); errors.Is(serr, os.ErrNotExist) {
			// A jump host's home: its forwarded agent is gone, or a dead
			// forward's socket file keeps ssh -R from binding a new one.
			stale := ""
			if _, serr := os.Lstat(path); serr == nil {
				stale = " (remove the stale " + path + " first, or set StreamLocalBindUnlink yes in sshd_config)"
			}
			return nil, fmt.Errorf("%w, and %s has no key file to unlock: forward the agent of the machine that holds the key, ssh -R %s:$%s%s, or write from that machine",
				err, h.Dir, path, AgentSockEnv, stale)
		}
		k, err := h.unlockKey()
		if err != nil {
			return nil, err
		}
		h.signer = domain.KeySigner{Key: k}
		return h.signer, nil
	}
	if err := h.useAgent(ctx, c, path, want); err != nil {
		c.Close()
		return nil, err
	}
	h.agent, h.signer = c, agent.Signer{Agent: c, Addr: want}
	return h.signer, nil
}

// forgetSigner drops s when it is still this home's signer and its agent
// went away (agent.ErrGone): the next write dials the agent socket again, so
// a serve or tminus agent started since signs it, instead of every write of
// a long-running process (the cockpit) failing on the dead connection.
func (h *Home) forgetSigner(s domain.Signer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.signer != s {
		return
	}
	if h.agent != nil {
		h.agent.Close()
		h.agent = nil
	}
	h.signer = nil
}

// useAgent checks that the agent on path holds this home's key, unlocked
// (unlocking it when the passphrase was given without a prompt).
func (h *Home) useAgent(ctx context.Context, c *agent.Client, path string, want common.Address) error {
	st, err := c.Status(ctx)
	if err != nil {
		return fmt.Errorf("agent on %s: %w", path, err)
	}
	if st.Address != want {
		return fmt.Errorf("the agent on %s holds %s, this home's key is %s: point %s at this home's agent", path, st.Address.Hex(), want.Hex(), AgentSockEnv)
	}
	if !st.Locked {
		return nil
	}
	return h.unlockAgent(ctx, c, path)
}

func (h *Home) unlockAgent(ctx context.Context, c *agent.Client, path string) error {
	pass, ok, err := h.givenPassphrase()
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w (%s): run tminus agent unlock, or give the passphrase with TMINUS_PASSPHRASE or --passphrase-file", agent.ErrLocked, path)
	}
	if err := c.Unlock(ctx, pass); err != nil {
		return fmt.Errorf("unlock the agent on %s: %w", path, err)
	}
	return nil
}

// ErrNoPrompt is a passphrase needed where no prompt may ask for it
// (Home.NoPrompt).
var ErrNoPrompt = errors.New("no passphrase given, and the process signing here (a cockpit) cannot prompt for one: set TMINUS_PASSPHRASE or --passphrase-file, or start an agent (tminus serve, or eval \"$(tminus agent)\")")

// givenPassphrase is the passphrase when the environment or a file gives it.
func (h *Home) givenPassphrase() ([]byte, bool, error) {
	if p, ok := os.LookupEnv("TMINUS_PASSPHRASE"); ok {
		return []byte(p), true, nil
	}
	if h.PassFile != "" {
		data, err := os.ReadFile(h.PassFile)
		if err != nil {
			return nil, false, fmt.Errorf("passphrase file: %w", err)
		}
		return []byte(strings.TrimRight(string(data), "\r\n")), true, nil
	}
	return nil, false, nil
}

// Passphrase reads the keystore passphrase: from the environment, the
// file, or a prompt on the terminal (confirmed twice for a new key).
func (h *Home) Passphrase(confirm bool) ([]byte, error) { return h.passphrase(confirm) }

func (h *Home) passphrase(confirm bool) ([]byte, error) {
	if p, ok, err := h.givenPassphrase(); ok || err != nil {
		return p, err
	}
	if h.NoPrompt {
		return nil, ErrNoPrompt
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil || !term.IsTerminal(int(tty.Fd())) {
		return nil, errors.New("no passphrase: set TMINUS_PASSPHRASE, pass --passphrase-file, or run in a terminal")
	}
	defer tty.Close()
	fmt.Fprint(tty, "Passphrase for "+h.KeyPath()+": ")
	p, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return nil, err
	}
	if confirm {
		fmt.Fprint(tty, "Again: ")
		p2, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return nil, err
		}
		if string(p) != string(p2) {
			return nil, errors.New("the passphrases differ")
		}
	}
	return p, nil
}

package workspace

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// config.yaml is edited by hand. Its address and pubkey are the home's
// identity: a mistake there used to load as some other address (address:
// alice read as 0x…0A), and every write then failed as "not a member".
// Each is refused, naming the file and what to put back; the file is left
// as the user wrote it.
func TestConfigRefusesAHandEditedIdentity(t *testing.T) {
	th := newHome(t)
	path := filepath.Join(th.dir, "config.yaml")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	addr := common.Address(th.addr()).Hex()
	other := crypto.PubkeyToAddress(domaintest.Key(3, 0).PublicKey).Hex()
	for _, c := range []struct {
		name, from, to, want string
	}{
		{"a handle for the address", addr, "alice", `address "alice" is not a 0x address`},
		{"no address", "address: " + addr, "address: ", `address "" is not a 0x address`},
		{"a digit too many", addr, addr + "f", "is not a 0x address"},
		{"another address", addr, other, "pubkey is the key of " + addr},
		{"a truncated pubkey", "pubkey: 04", "pubkey: 0", "pubkey is not an uncompressed secp256k1 key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			edited := strings.Replace(string(good), c.from, c.to, 1)
			if edited == string(good) {
				t.Fatalf("the edit %q -> %q changed nothing", c.from, c.to)
			}
			if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(path, good, 0o600)
			_, err := (&Home{Dir: th.dir}).Config()
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) ||
				!strings.Contains(err.Error(), "put back address "+addr) {
				t.Fatalf("Config: %v\nwant %q, the file, and the address to put back", err, c.want)
			}
			if now, _ := os.ReadFile(path); string(now) != edited {
				t.Fatal("reading the config changed it")
			}
		})
	}

	// A jump host's home has no key.json to name the address from.
	if err := os.Rename(th.dir+"/key.json", th.dir+"/key.away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(good), addr, "alice", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Home{Dir: th.dir}).Config(); err == nil || !strings.Contains(err.Error(), "restore config.yaml from a backup") {
		t.Fatalf("Config without key.json: %v", err)
	}
}

// A home made in a directory that already existed, as mkdir left it
// (0755), kept that mode: the store was readable by every user, and the
// agent then refused to put its socket there.
func TestCreateClosesAnExistingDirectory(t *testing.T) {
	t.Setenv("TMINUS_PASSPHRASE", pass)
	dir := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	h := &Home{Dir: dir}
	defer h.Close()
	if _, err := h.Create("alice", true); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("home is mode %04o after create, want 0700", fi.Mode().Perm())
	}
}

// A jump host's home has no key.json and signs through the laptop's agent,
// forwarded with ssh -R. With the forward gone, a write said only that the
// home has no key file; it now says no agent answers, how to forward one,
// and that a dead forward's socket file must go first.
func TestSignerOnAJumpHostWithoutItsAgent(t *testing.T) {
	th := newHome(t)
	if err := os.Rename(filepath.Join(th.dir, "key.json"), filepath.Join(th.dir, "key.away")); err != nil {
		t.Fatal(err)
	}
	sock := th.agentSock()
	_, err := th.open(t).Signer(bg)
	if err == nil || !strings.Contains(err.Error(), "no agent answers on "+sock) || !strings.Contains(err.Error(), "ssh -R "+sock+":$TMINUS_AGENT_SOCK") {
		t.Fatalf("Signer with no agent and no key file: %v", err)
	}
	if strings.Contains(err.Error(), "stale") {
		t.Fatalf("no socket file, yet: %v", err)
	}
	l, err := agent.Listen(bg, sock) // a forward that died leaves its file
	if err != nil {
		t.Fatal(err)
	}
	l.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
	l.Close()
	if _, err := th.open(t).Signer(bg); err == nil || !strings.Contains(err.Error(), "remove the stale "+sock) {
		t.Fatalf("Signer with a dead forward's socket: %v", err)
	}
}

// A home whose config.yaml is gone still holds its key or its store. init
// there said "key file: file exists" without saying why, and beside a
// store alone it made a new key and config, then failed on the store's
// genesis, leaving a home with two identities. Create refuses first and
// touches nothing.
func TestCreateRefusesAHomeWithoutItsConfig(t *testing.T) {
	th := newHome(t)
	for _, keep := range []string{"key.json", "tminus.db"} {
		t.Run(keep, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "h")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(th.dir, keep))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, keep), data, 0o600); err != nil {
				t.Fatal(err)
			}
			h := &Home{Dir: dir}
			defer h.Close()
			if _, err := h.Create("bob", true); err == nil || !strings.Contains(err.Error(), "holds "+keep+" but no config.yaml") {
				t.Fatalf("Create: %v", err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Fatalf("Create left %d files, want only %s", len(entries), keep)
			}
			if now, _ := os.ReadFile(filepath.Join(dir, keep)); !bytes.Equal(now, data) {
				t.Fatalf("%s changed", keep)
			}
		})
	}
}

// dyingAgent answers status as an unlocked agent of the home's key, and
// drops every connection when asked to sign: an agent killed mid-command.
type dyingAgent struct {
	agent.Agent
	srv *agent.Server
}

func (d *dyingAgent) SignEvent(context.Context, []byte, []byte) ([]byte, error) {
	d.srv.Close()
	return nil, errors.New("killed")
}

// The agent dies while a command's write waits for its signature: the
// command said only that the connection closed. It now says that nothing
// of the write was stored and to start the agent again, and nothing is.
func TestWriteWhenTheAgentDiesWhileSigning(t *testing.T) {
	th := newHome(t)
	unsetPassphrase(t)
	d := &dyingAgent{Agent: agent.NewKeyring(th.key, agent.KeyringOptions{Workspace: func(context.Context) (domain.ID, error) { return th.ws, nil }})}
	d.srv = &agent.Server{Agent: d, UID: os.Getuid()}
	serveOn(t, th.agentSock(), d.srv)
	before := count(t, th.dir)
	_, err := th.open(t).Write(bg, nil, &domain.Note{Incident: th.inc, Text: "one"}, &domain.Note{Incident: th.inc, Text: "two"})
	if !errors.Is(err, agent.ErrGone) || !strings.Contains(err.Error(), "no event of this write was stored") || !strings.Contains(err.Error(), "start it again") {
		t.Fatalf("write through an agent that died: %v", err)
	}
	if after := count(t, th.dir); after != before {
		t.Fatalf("%d events stored by a write whose agent died", after-before)
	}
}

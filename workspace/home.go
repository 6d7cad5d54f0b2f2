// Package workspace is a tminus home: its config, key, store and sockets,
// and the one way to write to it. The commands, the cockpit, serve and the
// agent all open a home here, so every write of a home takes the same path:
// through the process that writes its store when one runs (Write), signed
// through the agent when one answers (Signer).
package workspace

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
	"go.yaml.in/yaml/v3"
)

// Home is the --home directory: one key, one store, one config.
type Home struct {
	Dir      string
	PassFile string
	// Clock, when set, is the time this process signs events with
	// (time.Now if nil). Only cmd/tminus sets it, from TMINUS_CLOCK_SKEW.
	Clock func() time.Time
	// Warn, when set, hears what loading config.yaml found and let pass:
	// keys no field has, a key switch it finished. cmd/tminus gives its
	// stderr, so every command says it once, and never into --json stdout.
	Warn io.Writer
	// NoPrompt refuses to ask for the passphrase on the terminal (ErrNoPrompt):
	// set once a full screen owns it (the cockpit), where a signer found again
	// after its agent went away must not read keys meant for the screen.
	NoPrompt bool

	cfg    *Config
	warned bool // Warn heard this config's unknown keys
	key    *ecdsa.PrivateKey
	st     *store.Store
	closed bool

	signer domain.Signer // once resolved: the agent's or the key's
	agent  *agent.Client // the agent signer's connection, closed with the home
	node   *node         // set while this process writes the home for others (Serve)

	// mu guards key, signer, agent and node, which a cockpit's writes (on
	// command goroutines) read while its takeover of a stopped serve sets
	// them, and fetch.
	mu    sync.Mutex
	fetch func(ctx context.Context, hashes []string) ([]string, error) // SetFetch
}

// Config is the home's config.yaml: what this device is, and local settings
// that are not part of the shared state.
type Config struct {
	Handle   string `yaml:"handle"`
	Address  string `yaml:"address"`
	PubKey   string `yaml:"pubkey"` // uncompressed, hex: enode ids without unlocking the key
	Listen   string `yaml:"listen,omitempty"`
	Runbooks string `yaml:"runbooks,omitempty"`
	Theme    string `yaml:"theme,omitempty"`
	// Severities maps a webhook alert's severity label to P1..P4.
	Severities map[string]string `yaml:"severities,omitempty"`
	Watchers   []WatcherConfig   `yaml:"watchers,omitempty"`
}

// WatcherConfig is one on-chain watcher: an RPC endpoint and its rules.
type WatcherConfig struct {
	Name          string        `yaml:"name"`
	RPC           string        `yaml:"rpc"`
	ChainID       uint64        `yaml:"chain_id"`
	Poll          time.Duration `yaml:"poll,omitempty"`
	Confirmations uint64        `yaml:"confirmations,omitempty"`
	// BlindAfter is how long its scans may fail before it raises an alert
	// about itself (default 1m).
	BlindAfter time.Duration `yaml:"blind_after,omitempty"`
	Rules      []WatcherRule `yaml:"rules"`
}

// WatcherRule raises an alert of Severity for Event logs from Addresses;
// MinValue (decimal) filters ERC-20 Transfer values.
type WatcherRule struct {
	Name      string   `yaml:"name"`
	Event     string   `yaml:"event"`
	Severity  string   `yaml:"severity"`
	Addresses []string `yaml:"addresses"`
	MinValue  string   `yaml:"min_value,omitempty"`
}

// DefaultListen is the p2p address a new home listens on.
const DefaultListen = "127.0.0.1:30317"

// DefaultDir is TMINUS_HOME, or ~/.tminus.
func DefaultDir() string {
	if h := os.Getenv("TMINUS_HOME"); h != "" {
		return h
	}
	if d, err := os.UserHomeDir(); err == nil {
		return filepath.Join(d, ".tminus")
	}
	return ".tminus"
}

func (h *Home) KeyPath() string    { return filepath.Join(h.Dir, "key.json") }
func (h *Home) DBPath() string     { return filepath.Join(h.Dir, "tminus.db") }
func (h *Home) ConfigPath() string { return filepath.Join(h.Dir, "config.yaml") }

// ErrNoHome is a directory without a tminus config.
var ErrNoHome = errors.New("no tminus key here")

// Config loads config.yaml once.
func (h *Home) Config() (*Config, error) {
	if h.cfg != nil {
		return h.cfg, nil
	}
	data, err := os.ReadFile(h.ConfigPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s: run tminus init (new workspace) or tminus join (to be added to one)", ErrNoHome, h.Dir)
	}
	if err != nil {
		return nil, err
	}
	c := &Config{}
	if err := yaml.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("%s: %w", h.ConfigPath(), err)
	}
	// Said before the identity check: a misspelt address: is why it fails.
	if h.Warn != nil && !h.warned {
		h.warned = true
		if w := unknownKeysWarning(data); w != "" {
			fmt.Fprintf(h.Warn, "tminus: warning: %s: %s\n", h.ConfigPath(), w)
		}
	}
	switched, err := h.finishSwitch(c)
	if err != nil {
		return nil, err
	}
	if switched && h.Warn != nil {
		fmt.Fprintf(h.Warn, "tminus: finished an interrupted key rotation: %s now holds %s, the key config.yaml names\n", h.KeyPath(), c.Address)
	}
	if err := h.checkIdentity(c); err != nil {
		return nil, fmt.Errorf("%s: %w", h.ConfigPath(), err)
	}
	h.cfg = c
	return c, nil
}

// checkIdentity refuses a hand-edited address that is not one, or one that
// is not its pubkey's: read leniently, "address: alice" became 0x…0A and
// every write failed as "not a member", naming an address nobody had.
func (h *Home) checkIdentity(c *Config) error {
	restore := "restore config.yaml from a backup"
	if a, err := store.KeyAddress(h.KeyPath()); err == nil {
		restore = "put back address " + a.Hex() + " (key.json's), or restore config.yaml from a backup"
	}
	if !common.IsHexAddress(c.Address) {
		return fmt.Errorf("address %q is not a 0x address: %s", c.Address, restore)
	}
	if c.PubKey == "" {
		return nil
	}
	pub, err := crypto.UnmarshalPubkey(common.FromHex(c.PubKey))
	if err != nil {
		return fmt.Errorf("pubkey is not an uncompressed secp256k1 key (%v): %s", err, restore)
	}
	if a := crypto.PubkeyToAddress(*pub); a != common.HexToAddress(c.Address) {
		return fmt.Errorf("pubkey is the key of %s, address says %s: %s", a.Hex(), common.HexToAddress(c.Address).Hex(), restore)
	}
	return nil
}

// Address is this device's signing address.
func (h *Home) Address() (common.Address, error) {
	c, err := h.Config()
	if err != nil {
		return common.Address{}, err
	}
	return common.HexToAddress(c.Address), nil
}

// Enode is this device's node URL; the node key is the signing key.
func (h *Home) Enode() (string, error) {
	c, err := h.Config()
	if err != nil {
		return "", err
	}
	return EnodeURL(c.PubKey, c.Listen)
}

// EnodeURL is the node URL of a public key (hex, uncompressed) at listen.
func EnodeURL(pubHex, listen string) (string, error) {
	pub, err := crypto.UnmarshalPubkey(common.FromHex(pubHex))
	if err != nil {
		return "", fmt.Errorf("config pubkey: %w", err)
	}
	id := fmt.Sprintf("%x", crypto.FromECDSAPub(pub)[1:])
	if listen == "" {
		listen = DefaultListen
	}
	return "enode://" + id + "@" + listen, nil
}

// Store opens the home's store once.
func (h *Home) Store(ctx context.Context) (*store.Store, error) {
	if h.st != nil {
		return h.st, nil
	}
	if _, err := h.Config(); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, h.DBPath())
	if err != nil {
		return nil, err
	}
	if h.Clock != nil {
		st.Now = h.Clock
	}
	h.st = st
	return st, nil
}

// Create makes a new home with a new key; it refuses to touch an existing one.
func (h *Home) Create(handle string, light bool) (*ecdsa.PrivateKey, error) {
	if !domain.ValidHandle(handle) {
		return nil, fmt.Errorf("handle %q: use 1-32 of a-z 0-9 _ . - starting with a letter", handle)
	}
	if _, err := os.Stat(h.ConfigPath()); err == nil {
		return nil, fmt.Errorf("%s already holds a tminus key; use another --home", h.Dir)
	}
	// A home that lost its config.yaml still holds what matters: a new key
	// beside that key.json, or a new genesis into that store, would mix two
	// identities in one home.
	for _, p := range []string{h.KeyPath(), h.DBPath()} {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%s holds %s but no config.yaml: restore config.yaml from a backup, or use another --home", h.Dir, filepath.Base(p))
		}
	}
	if err := os.MkdirAll(h.Dir, 0o700); err != nil {
		return nil, err
	}
	// MkdirAll leaves a directory that already existed as it was: one made
	// by mkdir (0755) would show the store to every user, and the agent
	// refuses to put its socket there.
	if err := os.Chmod(h.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("home %s: %w: make it yours and chmod 700 it, or use another --home", h.Dir, err)
	}
	pass, err := h.passphrase(true)
	if err != nil {
		return nil, err
	}
	k, err := store.CreateKey(h.KeyPath(), pass, light)
	if err != nil {
		return nil, err
	}
	h.key = k
	c := &Config{Handle: handle, Address: crypto.PubkeyToAddress(k.PublicKey).Hex(),
		PubKey: fmt.Sprintf("%x", crypto.FromECDSAPub(&k.PublicKey)), Listen: DefaultListen}
	if err := h.SaveConfig(c); err != nil {
		os.Remove(h.KeyPath())
		return nil, err
	}
	return k, nil
}

// Close stops serving writes (Serve), hangs up on the agent and closes the store.
func (h *Home) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.node != nil {
		h.node.stop()
		h.node = nil
	}
	if h.agent != nil {
		h.agent.Close()
		h.agent = nil
	}
	if h.st != nil && !h.closed {
		h.st.Close()
		h.closed = true
	}
}

// EnodeID is the node id of an enode URL, to match peers with members.
func EnodeID(url string) (enode.ID, error) {
	n, err := enode.ParseV4(url)
	if err != nil {
		return enode.ID{}, err
	}
	return n.ID(), nil
}

// Attach is a home over a store and key already open (the demo, tests):
// writes and the cockpit go through it as through any home.
func Attach(dir string, st *store.Store, key *ecdsa.PrivateKey) *Home {
	return &Home{Dir: dir, st: st, key: key}
}

package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
	"go.yaml.in/yaml/v3"
	"golang.org/x/term"
)

// Home is the --home directory: one key, one store, one config.
type Home struct {
	Dir      string
	PassFile string
	Stdin    io.Reader

	cfg    *Config
	key    *ecdsa.PrivateKey
	st     *store.Store
	closed bool
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
	Rules         []WatcherRule `yaml:"rules"`
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

const defaultListen = "127.0.0.1:30317"

func defaultHome() string {
	if h := os.Getenv("TMINUS_HOME"); h != "" {
		return h
	}
	if d, err := os.UserHomeDir(); err == nil {
		return filepath.Join(d, ".tminus")
	}
	return ".tminus"
}

func (h *Home) keyPath() string    { return filepath.Join(h.Dir, "key.json") }
func (h *Home) dbPath() string     { return filepath.Join(h.Dir, "tminus.db") }
func (h *Home) configPath() string { return filepath.Join(h.Dir, "config.yaml") }

var errNoHome = errors.New("no tminus key here")

// Config loads config.yaml once.
func (h *Home) Config() (*Config, error) {
	if h.cfg != nil {
		return h.cfg, nil
	}
	data, err := os.ReadFile(h.configPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s: run tminus init (new workspace) or tminus join (to be added to one)", errNoHome, h.Dir)
	}
	if err != nil {
		return nil, err
	}
	c := &Config{}
	if err := yaml.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("%s: %w", h.configPath(), err)
	}
	h.cfg = c
	return c, nil
}

func (h *Home) saveConfig(c *Config) error {
	data, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	tmp := h.configPath() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	h.cfg = c
	return os.Rename(tmp, h.configPath())
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
	return enodeURL(c.PubKey, c.Listen)
}

func enodeURL(pubHex, listen string) (string, error) {
	pub, err := crypto.UnmarshalPubkey(common.FromHex(pubHex))
	if err != nil {
		return "", fmt.Errorf("config pubkey: %w", err)
	}
	id := fmt.Sprintf("%x", crypto.FromECDSAPub(pub)[1:])
	if listen == "" {
		listen = defaultListen
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
	st, err := store.Open(ctx, h.dbPath())
	if err != nil {
		return nil, err
	}
	h.st = st
	return st, nil
}

// Signer unlocks the key once, with the passphrase from TMINUS_PASSPHRASE,
// --passphrase-file or a terminal prompt, in that order.
func (h *Home) Signer() (domain.Signer, error) {
	if h.key != nil {
		return domain.KeySigner{Key: h.key}, nil
	}
	pass, err := h.passphrase(false)
	if err != nil {
		return nil, err
	}
	k, err := store.UnlockKey(h.keyPath(), pass)
	if err != nil {
		return nil, err
	}
	h.key = k
	return domain.KeySigner{Key: k}, nil
}

func (h *Home) passphrase(confirm bool) ([]byte, error) {
	if p, ok := os.LookupEnv("TMINUS_PASSPHRASE"); ok {
		return []byte(p), nil
	}
	if h.PassFile != "" {
		data, err := os.ReadFile(h.PassFile)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		return []byte(strings.TrimRight(string(data), "\r\n")), nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil || !term.IsTerminal(int(tty.Fd())) {
		return nil, errors.New("no passphrase: set TMINUS_PASSPHRASE, pass --passphrase-file, or run in a terminal")
	}
	defer tty.Close()
	fmt.Fprint(tty, "Passphrase for "+h.keyPath()+": ")
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

// create makes a new home with a new key; it refuses to touch an existing one.
func (h *Home) create(handle string, light bool) (*ecdsa.PrivateKey, error) {
	if !domain.ValidHandle(handle) {
		return nil, fmt.Errorf("handle %q: use 1-32 of a-z 0-9 _ . - starting with a letter", handle)
	}
	if _, err := os.Stat(h.configPath()); err == nil {
		return nil, fmt.Errorf("%s already holds a tminus key; use another --home", h.Dir)
	}
	if err := os.MkdirAll(h.Dir, 0o700); err != nil {
		return nil, err
	}
	pass, err := h.passphrase(true)
	if err != nil {
		return nil, err
	}
	k, err := store.CreateKey(h.keyPath(), pass, light)
	if err != nil {
		return nil, err
	}
	h.key = k
	c := &Config{Handle: handle, Address: crypto.PubkeyToAddress(k.PublicKey).Hex(),
		PubKey: fmt.Sprintf("%x", crypto.FromECDSAPub(&k.PublicKey)), Listen: defaultListen}
	if err := h.saveConfig(c); err != nil {
		os.Remove(h.keyPath())
		return nil, err
	}
	return k, nil
}

func (h *Home) Close() {
	if h.st != nil && !h.closed {
		h.st.Close()
		h.closed = true
	}
}

// enodeID is the node id of an enode URL, to match peers with members.
func enodeID(url string) (enode.ID, error) {
	n, err := enode.ParseV4(url)
	if err != nil {
		return enode.ID{}, err
	}
	return n.ID(), nil
}

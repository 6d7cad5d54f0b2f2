package agent

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
)

// Agent is what a key holder answers. The in-memory Keyring and the socket
// Client both implement it.
type Agent interface {
	Status(ctx context.Context) (Status, error)
	// SignEvent signs an event's header and body (see domain.EventSigner)
	// and refuses anything that is not one for this workspace and key.
	SignEvent(ctx context.Context, header, body []byte) ([]byte, error)
	Lock(ctx context.Context) error
	Unlock(ctx context.Context, passphrase []byte) error
}

// KeyringOptions configure a Keyring.
type KeyringOptions struct {
	// Workspace is the workspace it signs for, read at each request: an
	// agent started before a join learns its workspace once it is synced.
	Workspace func(ctx context.Context) (domain.ID, error)
	// Unlock decrypts the keystore for an Unlock request; nil refuses them.
	Unlock func(passphrase []byte) (*ecdsa.PrivateKey, error)
	TTL    time.Duration // 0: until the process exits
	Log    io.Writer     // one line per signature; nil: none
	Now    func() time.Time
}

// Keyring holds one unlocked key in memory.
type Keyring struct {
	o       KeyringOptions
	addr    common.Address
	mu      sync.Mutex
	key     *ecdsa.PrivateKey
	expires time.Time
	// unlocking lets one keystore decryption run at a time: each is a
	// standard scrypt (256 MiB, a second), and a forwarded socket's far end
	// could otherwise ask for many at once and run this machine out of memory.
	unlocking sync.Mutex
}

// NewKeyring holds key for o.TTL. The address stays known when locked, so
// status can say whose key it was.
func NewKeyring(key *ecdsa.PrivateKey, o KeyringOptions) *Keyring {
	if o.Now == nil {
		o.Now = time.Now
	}
	k := &Keyring{o: o, addr: crypto.PubkeyToAddress(key.PublicKey)}
	k.hold(key)
	return k
}

func (k *Keyring) hold(key *ecdsa.PrivateKey) {
	k.key = key
	if k.o.TTL > 0 {
		k.expires = k.o.Now().Add(k.o.TTL)
	}
}

// current is the key, or nil once locked or expired. Callers hold mu.
func (k *Keyring) current() *ecdsa.PrivateKey {
	if k.key != nil && !k.expires.IsZero() && !k.o.Now().Before(k.expires) {
		k.key = nil
	}
	return k.key
}

// Expires is when the key will be forgotten; zero for never.
func (k *Keyring) Expires() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.expires
}

// WaitExpiry returns true once the key's expiry has passed with no unlock
// that moved it, and false when ctx ends first. A keyring without a TTL
// waits for ctx. Lock does not move the expiry: a locked keyring's expiry
// still comes.
func (k *Keyring) WaitExpiry(ctx context.Context) bool {
	for {
		exp := k.Expires()
		if exp.IsZero() {
			<-ctx.Done()
			return false
		}
		d := exp.Sub(k.o.Now())
		if d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

func (k *Keyring) Status(ctx context.Context) (Status, error) {
	k.mu.Lock()
	locked := k.current() == nil
	st := Status{Locked: locked, Address: k.addr}
	if !k.expires.IsZero() {
		st.Expires = uint64(k.expires.UnixMilli())
	}
	k.mu.Unlock()
	if k.o.Workspace != nil {
		ws, err := k.o.Workspace(ctx)
		if err != nil {
			return Status{}, err
		}
		st.Workspace = ws
	}
	return st, nil
}

func (k *Keyring) SignEvent(ctx context.Context, header, body []byte) ([]byte, error) {
	req, err := domain.CheckSigningRequest(header, body)
	if err != nil {
		return nil, err
	}
	if req.Author != k.addr {
		return nil, fmt.Errorf("%w: it is by %s, this agent holds %s", domain.ErrNotAnEvent, req.Author.Hex(), k.addr.Hex())
	}
	if k.o.Workspace == nil {
		return nil, fmt.Errorf("%w: this agent knows no workspace", domain.ErrNotAnEvent)
	}
	ws, err := k.o.Workspace(ctx)
	if err != nil {
		return nil, err
	}
	if req.WS != ws {
		return nil, fmt.Errorf("%w: it is for workspace %s, this agent signs for %s", domain.ErrNotAnEvent, req.WS.Short(), ws.Short())
	}
	k.mu.Lock()
	key := k.current()
	k.mu.Unlock()
	if key == nil {
		return nil, ErrLocked
	}
	sig, err := crypto.Sign(domain.SigningHash(req.ID), key)
	if err != nil {
		return nil, err
	}
	if k.o.Log != nil {
		line := k.o.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " signed " + req.Kind + " seq " + fmt.Sprint(req.Seq)
		if sub := req.Subject(); !sub.IsZero() {
			line += " about " + sub.Short()
		}
		fmt.Fprintln(k.o.Log, line+" event "+req.ID.Short())
	}
	return sig, nil
}

func (k *Keyring) Lock(context.Context) error {
	k.mu.Lock()
	k.key = nil
	k.mu.Unlock()
	return nil
}

func (k *Keyring) Unlock(_ context.Context, passphrase []byte) error {
	if k.o.Unlock == nil {
		return fmt.Errorf("this agent cannot unlock its keystore: start it again")
	}
	k.unlocking.Lock()
	key, err := k.o.Unlock(passphrase)
	k.unlocking.Unlock()
	if err != nil {
		return err
	}
	if crypto.PubkeyToAddress(key.PublicKey) != k.addr {
		return fmt.Errorf("the keystore now holds %s, this agent held %s", crypto.PubkeyToAddress(key.PublicKey).Hex(), k.addr.Hex())
	}
	k.mu.Lock()
	k.hold(key)
	k.mu.Unlock()
	return nil
}

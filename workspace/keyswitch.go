package workspace

import (
	"crypto/ecdsa"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/store"
)

// NextKeyPath holds a rotation's new key between its creation and the
// switch (key rotate makes it; a statement printed for gpg names it).
func (h *Home) NextKeyPath() string { return filepath.Join(h.Dir, "key.next.json") }

// RetiredKeyPath is where a switch keeps the keystore of old.
func (h *Home) RetiredKeyPath(old common.Address) string {
	return filepath.Join(h.Dir, "key."+old.Hex()+".retired.json")
}

// SwitchKey makes newKey, whose keystore is NextKeyPath, this home's key
// and keeps the old keystore as RetiredKeyPath. key rotate calls it once the
// rotation is recorded. It renamed key.json away and then the new key in:
// a crash between the two left a home with no key.json at all. Now every
// step leaves a home that opens:
//
//  1. the old keystore is copied to its retired name; key.json stays;
//  2. config.yaml names the new key (written beside, synced, renamed);
//  3. the new keystore is renamed over key.json, in one step.
//
// Stopped after 1, the home is as before and key rotate, run again, finds
// the rotation recorded and switches. Stopped after 2, config.yaml is ahead
// of key.json with the new keystore beside it: the next Config finishes the
// rename (finishSwitch).
func (h *Home) SwitchKey(newKey *ecdsa.PrivateKey) (retired string, err error) {
	steps, retired, err := h.switchSteps(newKey)
	if err != nil {
		return "", err
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return "", err
		}
	}
	return retired, nil
}

// switchSteps are SwitchKey's steps, apart so a test can stop between them.
func (h *Home) switchSteps(newKey *ecdsa.PrivateKey) ([]func() error, string, error) {
	cfg, err := h.Config()
	if err != nil {
		return nil, "", err
	}
	old := common.HexToAddress(cfg.Address)
	newAddr := crypto.PubkeyToAddress(newKey.PublicKey)
	if a, err := store.KeyAddress(h.NextKeyPath()); err != nil || a != newAddr {
		return nil, "", fmt.Errorf("%s does not hold the new key %s: run tminus key rotate again", h.NextKeyPath(), newAddr.Hex())
	}
	retired := h.RetiredKeyPath(old)
	next := *cfg
	next.Address = newAddr.Hex()
	next.PubKey = fmt.Sprintf("%x", crypto.FromECDSAPub(&newKey.PublicKey))
	return []func() error{
		func() error {
			data, err := os.ReadFile(h.KeyPath())
			if err != nil {
				return err
			}
			return writeSynced(retired, data)
		},
		func() error { return h.SaveConfig(&next) },
		func() error { return renameSynced(h.NextKeyPath(), h.KeyPath()) },
	}, retired, nil
}

// finishSwitch completes a key switch stopped between config.yaml and
// key.json (SwitchKey's step 2): c names the new key, key.json still holds
// the old one, kept as retired, and key.next.json holds the new one. It
// reports whether it renamed. Only a recorded rotation writes such a config,
// so finishing it is what the responder asked for.
func (h *Home) finishSwitch(c *Config) (bool, error) {
	if !common.IsHexAddress(c.Address) {
		return false, nil
	}
	want := common.HexToAddress(c.Address)
	cur, err := store.KeyAddress(h.KeyPath())
	if err != nil || cur == want {
		return false, nil
	}
	if a, err := store.KeyAddress(h.NextKeyPath()); err != nil || a != want {
		return false, nil
	}
	if a, err := store.KeyAddress(h.RetiredKeyPath(cur)); err != nil || a != cur {
		return false, nil // the old key is kept nowhere else: leave key.json be
	}
	if err := renameSynced(h.NextKeyPath(), h.KeyPath()); err != nil {
		// Another process opening the home may have finished it first.
		if a, aerr := store.KeyAddress(h.KeyPath()); aerr == nil && a == want {
			return false, nil
		}
		return false, fmt.Errorf("finish the key switch: move %s to %s by hand (%w)", h.NextKeyPath(), h.KeyPath(), err)
	}
	return true, nil
}

// writeSynced replaces path with data through a synced file beside it, so a
// crash leaves the old file or the new one, never a torn one.
func writeSynced(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return renameSynced(tmp, path)
}

// renameSynced renames from over to after syncing from, then syncs the
// directory, so the rename survives a power cut in the order it was made.
func renameSynced(from, to string) error {
	if f, err := os.Open(from); err == nil {
		serr := f.Sync()
		f.Close()
		if serr != nil {
			return serr
		}
	}
	if err := os.Rename(from, to); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(to)); err == nil {
		d.Sync() // best effort: not every filesystem syncs a directory
		d.Close()
	}
	return nil
}

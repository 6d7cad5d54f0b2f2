package store

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
)

// ErrPassphrase is a wrong passphrase for the keystore file.
var ErrPassphrase = errors.New("wrong passphrase")

// CreateKey writes a new key as a Web3 Secret Storage file (scrypt). light
// selects cheap scrypt parameters, for tests and drills only. It refuses to
// overwrite an existing key.
func CreateKey(path string, passphrase []byte, light bool) (*ecdsa.PrivateKey, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("an empty passphrase would leave the key unprotected")
	}
	priv, err := crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	n, p := keystore.StandardScryptN, keystore.StandardScryptP
	if light {
		n, p = keystore.LightScryptN, keystore.LightScryptP
	}
	k := &keystore.Key{Id: uuid.New(), Address: crypto.PubkeyToAddress(priv.PublicKey), PrivateKey: priv}
	data, err := keystore.EncryptKey(k, string(passphrase), n, p)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return priv, f.Close()
}

// UnlockKey decrypts a keystore file.
func UnlockKey(path string, passphrase []byte) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := keystore.DecryptKey(data, string(passphrase))
	if errors.Is(err, keystore.ErrDecrypt) {
		return nil, fmt.Errorf("%s: %w", path, ErrPassphrase)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k.PrivateKey, nil
}

// KeyAddress reads a keystore file's address without decrypting it.
func KeyAddress(path string) (common.Address, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return common.Address{}, err
	}
	var v struct{ Address string }
	if err := json.Unmarshal(data, &v); err != nil || !common.IsHexAddress(v.Address) {
		return common.Address{}, fmt.Errorf("%s is not a keystore file", path)
	}
	return common.HexToAddress(v.Address), nil
}

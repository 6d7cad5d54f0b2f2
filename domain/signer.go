package domain

import (
	"crypto/ecdsa"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// KeySigner signs with a private key held in memory (an unlocked keystore
// key or a test key).
type KeySigner struct{ Key *ecdsa.PrivateKey }

func (k KeySigner) Address() common.Address { return crypto.PubkeyToAddress(k.Key.PublicKey) }

func (k KeySigner) SignHash(digest []byte) ([]byte, error) { return crypto.Sign(digest, k.Key) }

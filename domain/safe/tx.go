package safe

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Operation is how the Safe runs the call: a CALL, or a DELEGATECALL that
// runs the target's code with the Safe's own storage (it can rewrite the
// Safe's owners, which is why runbooks refuse it unless allowed).
type Operation uint8

const (
	Call         Operation = 0
	DelegateCall Operation = 1
)

// String names the operation as the Safe web app does.
func (o Operation) String() string {
	switch o {
	case Call:
		return "call"
	case DelegateCall:
		return "delegatecall"
	}
	return fmt.Sprintf("operation(%d)", uint8(o))
}

// MaxData bounds a transaction's call data: a containment step is a short
// call, and a recorded event must stay small.
const MaxData = 64 << 10

// Tx is a Safe transaction: the fields execTransaction takes, plus the chain
// and the Safe that make up its EIP-712 domain.
type Tx struct {
	ChainID        *big.Int
	Safe           common.Address
	To             common.Address
	Value          *big.Int
	Data           []byte
	Operation      Operation
	SafeTxGas      *big.Int
	BaseGas        *big.Int
	GasPrice       *big.Int
	GasToken       common.Address
	RefundReceiver common.Address
	Nonce          *big.Int
}

// ErrInvalid is wrapped by every Validate and decoding error.
var ErrInvalid = errors.New("invalid safe transaction")

var maxUint256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// Validate checks what the hashes assume: every number present and a
// uint256, a known operation, data within MaxData.
func (t *Tx) Validate() error {
	if t == nil {
		return fmt.Errorf("%w: nil transaction", ErrInvalid)
	}
	for _, n := range []struct {
		name string
		v    *big.Int
	}{
		{"chain_id", t.ChainID}, {"value", t.Value}, {"safe_tx_gas", t.SafeTxGas},
		{"base_gas", t.BaseGas}, {"gas_price", t.GasPrice}, {"nonce", t.Nonce},
	} {
		if err := checkUint256(n.name, n.v); err != nil {
			return err
		}
	}
	if t.ChainID.Sign() == 0 {
		return fmt.Errorf("%w: chain_id is 0 (give the chain's id, e.g. 1 for mainnet)", ErrInvalid)
	}
	if t.Operation > DelegateCall {
		return fmt.Errorf("%w: operation %d (0 call, 1 delegatecall)", ErrInvalid, t.Operation)
	}
	if len(t.Data) > MaxData {
		return fmt.Errorf("%w: data is %d bytes, more than %d", ErrInvalid, len(t.Data), MaxData)
	}
	return nil
}

func checkUint256(name string, v *big.Int) error {
	switch {
	case v == nil:
		return fmt.Errorf("%w: %s missing", ErrInvalid, name)
	case v.Sign() < 0:
		return fmt.Errorf("%w: %s is negative", ErrInvalid, name)
	case v.Cmp(maxUint256) > 0:
		return fmt.Errorf("%w: %s exceeds 2^256-1", ErrInvalid, name)
	}
	return nil
}

// The Safe contract's type hashes (Safe ≥ 1.3; 1.0-1.2 had no chainId in
// the domain). Computed here from the type strings, and checked in tests
// against the constants in the Safe v1.4.1 source.
var (
	domainTypeHash = crypto.Keccak256Hash([]byte("EIP712Domain(uint256 chainId,address verifyingContract)"))
	safeTxTypeHash = crypto.Keccak256Hash([]byte("SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"))
)

// DomainHash is the Safe's EIP-712 domain separator:
// keccak256(abi.encode(DOMAIN_SEPARATOR_TYPEHASH, chainId, safe)).
// Call it on a valid Tx (Validate); nil numbers hash as zero.
func (t *Tx) DomainHash() common.Hash {
	return crypto.Keccak256Hash(domainTypeHash[:], word(t.ChainID), addrWord(t.Safe))
}

// MessageHash is hashStruct(SafeTx), the second half of what owners sign.
func (t *Tx) MessageHash() common.Hash {
	return crypto.Keccak256Hash(
		safeTxTypeHash[:],
		addrWord(t.To),
		word(t.Value),
		crypto.Keccak256(t.Data),
		word(big.NewInt(int64(t.Operation))),
		word(t.SafeTxGas),
		word(t.BaseGas),
		word(t.GasPrice),
		addrWord(t.GasToken),
		addrWord(t.RefundReceiver),
		word(t.Nonce),
	)
}

// Hash is the safeTxHash: keccak256(0x19 0x01 domainHash messageHash), what
// the Safe's getTransactionHash returns and what owners sign.
func (t *Tx) Hash() common.Hash {
	d, m := t.DomainHash(), t.MessageHash()
	return crypto.Keccak256Hash([]byte{0x19, 0x01}, d[:], m[:])
}

// word is v as a 32-byte big-endian ABI word. Validate refuses anything
// outside uint256; for an unvalidated Tx the low 256 bits (two's complement)
// are used rather than panicking.
func word(v *big.Int) []byte {
	var w [32]byte
	if v != nil {
		new(big.Int).And(v, maxUint256).FillBytes(w[:])
	}
	return w[:]
}

func addrWord(a common.Address) []byte {
	var w [32]byte
	copy(w[12:], a[:])
	return w[:]
}

package safe

import (
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
)

// The type hashes are the constants in Safe v1.4.1's Safe.sol.
func TestTypeHashesMatchSafeSource(t *testing.T) {
	for _, c := range []struct {
		name string
		got  common.Hash
		want string
	}{
		{"DOMAIN_SEPARATOR_TYPEHASH", domainTypeHash, "0x47e79534a245952e8b16893a336b85a3d9ea9fa8c573f3d803afb92a79469218"},
		{"SAFE_TX_TYPEHASH", safeTxTypeHash, "0xbb8310d486368db6bd6f849402fdd73ad53d316b5a4b2644ad6efe0f941286d8"},
	} {
		if c.got.Hex() != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got.Hex(), c.want)
		}
	}
}

type vector struct {
	SafeVersion string          `json:"safe_version"`
	Tx          json.RawMessage `json:"tx"`
	DomainHash  common.Hash     `json:"domain_hash"`
	MessageHash common.Hash     `json:"message_hash"`
	SafeTxHash  common.Hash     `json:"safe_tx_hash"`
	SignerKey   hexutil.Bytes   `json:"signer_key"`
	Signer      common.Address  `json:"signer"`
	Signature   hexutil.Bytes   `json:"signature"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/safetx_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Generator string   `json:"generator"`
		Cases     []vector `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 40 || !strings.Contains(f.Generator, "protocol-kit") {
		t.Fatalf("vector file has %d cases from %q", len(f.Cases), f.Generator)
	}
	return f.Cases
}

// Hashes and signatures agree with @safe-global/protocol-kit and viem on
// every committed vector (testdata/vectors/README.md says how they are made).
func TestVectors(t *testing.T) {
	for i, v := range loadVectors(t) {
		var tx Tx
		if err := json.Unmarshal(v.Tx, &tx); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if got := tx.DomainHash(); got != v.DomainHash {
			t.Errorf("case %d (chain %s): domain hash %s, protocol-kit %s", i, tx.ChainID, got.Hex(), v.DomainHash.Hex())
		}
		if got := tx.MessageHash(); got != v.MessageHash {
			t.Errorf("case %d: message hash %s, protocol-kit %s", i, got.Hex(), v.MessageHash.Hex())
		}
		h := tx.Hash()
		if h != v.SafeTxHash {
			t.Errorf("case %d: safeTxHash %s, protocol-kit %s", i, h.Hex(), v.SafeTxHash.Hex())
		}
		key, err := crypto.ToECDSA(v.SignerKey)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := Sign(key, h)
		if err != nil {
			t.Fatal(err)
		}
		if hexutil.Encode(sig) != hexutil.Encode(v.Signature) {
			t.Errorf("case %d: signature %x, viem %x", i, sig, []byte(v.Signature))
		}
		if got, err := Recover(v.SafeTxHash, v.Signature); err != nil || got != v.Signer {
			t.Errorf("case %d: Recover = %s, %v; want %s", i, got.Hex(), err, v.Signer.Hex())
		}
		// The JSON round trip keeps every hashed field.
		out, err := json.Marshal(&tx)
		if err != nil {
			t.Fatal(err)
		}
		var back Tx
		if err := json.Unmarshal(out, &back); err != nil || back.Hash() != h {
			t.Errorf("case %d: round trip changed the hash (%v)", i, err)
		}
	}
}

func validTx() *Tx {
	return &Tx{
		ChainID: big.NewInt(1337), Safe: common.HexToAddress("0x1111111111111111111111111111111111111111"),
		To: common.HexToAddress("0x2222222222222222222222222222222222222222"), Value: big.NewInt(0),
		Data: []byte{0x84, 0x56, 0xcb, 0x59}, Operation: Call, SafeTxGas: big.NewInt(0), BaseGas: big.NewInt(0),
		GasPrice: big.NewInt(0), Nonce: big.NewInt(7),
	}
}

func TestValidate(t *testing.T) {
	huge := new(big.Int).Lsh(big.NewInt(1), 256)
	for _, c := range []struct {
		name string
		edit func(*Tx)
		want string
	}{
		{"valid", func(*Tx) {}, ""},
		{"nil value", func(t *Tx) { t.Value = nil }, "value missing"},
		{"nil nonce", func(t *Tx) { t.Nonce = nil }, "nonce missing"},
		{"negative gas price", func(t *Tx) { t.GasPrice = big.NewInt(-1) }, "gas_price is negative"},
		{"2^256 base gas", func(t *Tx) { t.BaseGas = huge }, "base_gas exceeds"},
		{"chain 0", func(t *Tx) { t.ChainID = big.NewInt(0) }, "chain_id is 0"},
		{"operation 2", func(t *Tx) { t.Operation = 2 }, "operation 2"},
		{"oversized data", func(t *Tx) { t.Data = make([]byte, MaxData+1) }, "more than"},
		{"max data", func(t *Tx) { t.Data = make([]byte, MaxData) }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			tx := validTx()
			c.edit(tx)
			err := tx.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want %q", err, c.want)
			}
			if _, err := json.Marshal(tx); err == nil {
				t.Fatal("MarshalJSON accepted an invalid Tx")
			}
			tx.Hash() // never panics, even on an invalid Tx
		})
	}
	var nilTx *Tx
	if nilTx.Validate() == nil {
		t.Fatal("nil Tx validated")
	}
}

// Each hashed field changes the safeTxHash: a signature over one
// transaction cannot be replayed for another.
func TestHashCoversEveryField(t *testing.T) {
	base := validTx().Hash()
	for name, edit := range map[string]func(*Tx){
		"chain":     func(t *Tx) { t.ChainID = big.NewInt(1) },
		"safe":      func(t *Tx) { t.Safe[0] ^= 1 },
		"to":        func(t *Tx) { t.To[0] ^= 1 },
		"value":     func(t *Tx) { t.Value = big.NewInt(1) },
		"data":      func(t *Tx) { t.Data = []byte{1} },
		"op":        func(t *Tx) { t.Operation = DelegateCall },
		"safeTxGas": func(t *Tx) { t.SafeTxGas = big.NewInt(1) },
		"baseGas":   func(t *Tx) { t.BaseGas = big.NewInt(1) },
		"gasPrice":  func(t *Tx) { t.GasPrice = big.NewInt(1) },
		"gasToken":  func(t *Tx) { t.GasToken[0] = 1 },
		"refund":    func(t *Tx) { t.RefundReceiver[0] = 1 },
		"nonce":     func(t *Tx) { t.Nonce = big.NewInt(8) },
	} {
		tx := validTx()
		edit(tx)
		if tx.Hash() == base {
			t.Errorf("changing %s left the safeTxHash unchanged", name)
		}
	}
}

func TestTxJSON(t *testing.T) {
	good := `{"chain_id":"1337","safe":"0x1111111111111111111111111111111111111111","to":"0x2222222222222222222222222222222222222222","value":"0","data":"0x8456cb59","operation":0,"safe_tx_gas":"0","base_gas":"0","gas_price":"0","gas_token":"0x0000000000000000000000000000000000000000","refund_receiver":"0x0000000000000000000000000000000000000000","nonce":"7"}`
	var tx Tx
	if err := json.Unmarshal([]byte(good), &tx); err != nil {
		t.Fatal(err)
	}
	if tx.Hash() != validTx().Hash() {
		t.Fatal("decoded Tx differs from validTx")
	}
	out, err := json.Marshal(&tx)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"chain_id":"1337"`, `"nonce":"7"`, `"data":"0x8456cb59"`, `"operation":0`, `"safe":"0x1111111111111111111111111111111111111111"`} {
		if !strings.Contains(string(out), field) {
			t.Errorf("MarshalJSON %s lacks %s", out, field)
		}
	}
	bad := []struct{ name, from, to, want string }{
		{"unknown field", `"nonce":"7"`, `"nonce":"7","extra":1`, "unknown field"},
		{"missing nonce", `,"nonce":"7"`, ``, "nonce missing"},
		{"missing data", `"data":"0x8456cb59",`, ``, "data missing"},
		{"missing operation", `"operation":0,`, ``, "operation missing"},
		{"null value", `"value":"0"`, `"value":null`, "value missing"},
		{"number not string", `"nonce":"7"`, `"nonce":7`, "cannot unmarshal"},
		{"negative", `"value":"0"`, `"value":"-1"`, "not a decimal"},
		{"plus sign", `"value":"0"`, `"value":"+1"`, "not a decimal"},
		{"leading zero", `"nonce":"7"`, `"nonce":"07"`, "not a decimal"},
		{"hex number", `"nonce":"7"`, `"nonce":"0x7"`, "not a decimal"},
		{"empty number", `"nonce":"7"`, `"nonce":""`, "not a decimal"},
		{"2^256", `"value":"0"`, `"value":"115792089237316195423570985008687907853269984665640564039457584007913129639936"`, "exceeds"},
		{"79 digits", `"value":"0"`, `"value":"1000000000000000000000000000000000000000000000000000000000000000000000000000000"`, "not a decimal"},
		{"short address", `"to":"0x2222222222222222222222222222222222222222"`, `"to":"0x22"`, "40 hex digits"},
		{"no 0x", `"to":"0x2222222222222222222222222222222222222222"`, `"to":"002222222222222222222222222222222222222222"`, "40 hex digits"},
		{"bad checksum", `"to":"0x2222222222222222222222222222222222222222"`, `"to":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"`, "checksum"},
		{"odd data", `"data":"0x8456cb59"`, `"data":"0x8456cb5"`, "data"},
		{"data no 0x", `"data":"0x8456cb59"`, `"data":"8456cb59"`, "data"},
		{"operation 2", `"operation":0`, `"operation":2`, "operation 2"},
		{"operation 256", `"operation":0`, `"operation":256`, "cannot unmarshal"},
		{"chain 0", `"chain_id":"1337"`, `"chain_id":"0"`, "chain_id is 0"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			in := strings.Replace(good, c.from, c.to, 1)
			if in == good {
				t.Fatalf("test edit %q not applied", c.from)
			}
			before := *validTx()
			got := before
			err := json.Unmarshal([]byte(in), &got)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Unmarshal = %v, want %q", err, c.want)
			}
			if got.Hash() != before.Hash() {
				t.Fatal("a failed Unmarshal changed the Tx")
			}
		})
	}
	var dst Tx
	if err := dst.UnmarshalJSON([]byte(good + `{}`)); err == nil {
		t.Fatal("trailing data accepted")
	}
	// A checksummed mixed-case address is accepted.
	if err := json.Unmarshal([]byte(strings.Replace(good, `"to":"0x2222222222222222222222222222222222222222"`, `"to":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"`, 1)), &dst); err != nil {
		t.Fatal(err)
	}
}

func FuzzTxJSON(f *testing.F) {
	raw, err := os.ReadFile("testdata/safetx_vectors.json")
	if err != nil {
		f.Fatal(err)
	}
	var file struct {
		Cases []struct{ Tx json.RawMessage }
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		f.Fatal(err)
	}
	for _, c := range file.Cases[:8] {
		f.Add([]byte(c.Tx))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"chain_id":"1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var tx Tx
		if err := json.Unmarshal(b, &tx); err != nil {
			return
		}
		if err := tx.Validate(); err != nil {
			t.Fatalf("decoded an invalid Tx: %v", err)
		}
		out, err := json.Marshal(&tx)
		if err != nil {
			t.Fatal(err)
		}
		var back Tx
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if back.Hash() != tx.Hash() {
			t.Fatal("round trip changed the safeTxHash")
		}
	})
}

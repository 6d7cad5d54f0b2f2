package safe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// txJSON is the wire shape of a Tx. Every field is required on decode.
// Numbers are decimal strings (a uint256 does not fit a JSON number);
// operation is the integer 0 or 1, as in the Safe Transaction Service.
type txJSON struct {
	ChainID        *string `json:"chain_id"`
	Safe           *string `json:"safe"`
	To             *string `json:"to"`
	Value          *string `json:"value"`
	Data           *string `json:"data"`
	Operation      *uint8  `json:"operation"`
	SafeTxGas      *string `json:"safe_tx_gas"`
	BaseGas        *string `json:"base_gas"`
	GasPrice       *string `json:"gas_price"`
	GasToken       *string `json:"gas_token"`
	RefundReceiver *string `json:"refund_receiver"`
	Nonce          *string `json:"nonce"`
}

// MarshalJSON writes the Tx with numbers as decimal strings, addresses as
// checksummed 0x hex and data as 0x hex. An invalid Tx is refused.
func (t *Tx) MarshalJSON() ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	dec := func(v *big.Int) *string { s := v.String(); return &s }
	addr := func(a common.Address) *string { s := a.Hex(); return &s }
	data := hexutil.Encode(t.Data)
	op := uint8(t.Operation)
	return json.Marshal(txJSON{
		ChainID: dec(t.ChainID), Safe: addr(t.Safe), To: addr(t.To), Value: dec(t.Value),
		Data: &data, Operation: &op, SafeTxGas: dec(t.SafeTxGas), BaseGas: dec(t.BaseGas),
		GasPrice: dec(t.GasPrice), GasToken: addr(t.GasToken), RefundReceiver: addr(t.RefundReceiver),
		Nonce: dec(t.Nonce),
	})
}

// UnmarshalJSON decodes strictly: unknown or missing fields, numbers that are
// not canonical decimal uint256 strings, malformed addresses or data, an
// operation other than 0 or 1, and trailing input are all refused. On error
// t is left unchanged.
func (t *Tx) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var w txJSON
	if err := d.Decode(&w); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if d.More() {
		return fmt.Errorf("%w: trailing data after the object", ErrInvalid)
	}
	var out Tx
	var err error
	num := func(name string, s *string) *big.Int {
		if err != nil {
			return nil
		}
		var v *big.Int
		v, err = parseDecimal(name, s)
		return v
	}
	addr := func(name string, s *string) common.Address {
		if err != nil {
			return common.Address{}
		}
		var a common.Address
		a, err = parseAddress(name, s)
		return a
	}
	out.ChainID = num("chain_id", w.ChainID)
	out.Safe = addr("safe", w.Safe)
	out.To = addr("to", w.To)
	out.Value = num("value", w.Value)
	out.SafeTxGas = num("safe_tx_gas", w.SafeTxGas)
	out.BaseGas = num("base_gas", w.BaseGas)
	out.GasPrice = num("gas_price", w.GasPrice)
	out.GasToken = addr("gas_token", w.GasToken)
	out.RefundReceiver = addr("refund_receiver", w.RefundReceiver)
	out.Nonce = num("nonce", w.Nonce)
	if err != nil {
		return err
	}
	if w.Data == nil {
		return fmt.Errorf("%w: data missing (0x for none)", ErrInvalid)
	}
	if out.Data, err = hexutil.Decode(*w.Data); err != nil {
		return fmt.Errorf("%w: data: %v (want 0x and an even number of hex digits)", ErrInvalid, err)
	}
	if w.Operation == nil {
		return fmt.Errorf("%w: operation missing (0 call, 1 delegatecall)", ErrInvalid)
	}
	out.Operation = Operation(*w.Operation)
	if err := out.Validate(); err != nil {
		return err
	}
	*t = out
	return nil
}

// parseDecimal accepts only canonical decimal: digits, no sign, no leading
// zero, at most 78 digits (2^256-1 has 78).
func parseDecimal(name string, s *string) (*big.Int, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: %s missing", ErrInvalid, name)
	}
	v := *s
	if v == "" || len(v) > 78 || (len(v) > 1 && v[0] == '0') || strings.TrimLeft(v, "0123456789") != "" {
		return nil, fmt.Errorf("%w: %s %q is not a decimal integer string", ErrInvalid, name, truncate(v))
	}
	n, _ := new(big.Int).SetString(v, 10)
	if err := checkUint256(name, n); err != nil {
		return nil, err
	}
	return n, nil
}

// parseAddress accepts 0x and 40 hex digits, any case (a mixed-case address
// must carry a valid EIP-55 checksum, which catches a mistyped digit).
func parseAddress(name string, s *string) (common.Address, error) {
	if s == nil {
		return common.Address{}, fmt.Errorf("%w: %s missing", ErrInvalid, name)
	}
	a, err := ParseAddress(*s)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	return a, nil
}

// ParseAddress parses 0x and 40 hex digits. All-lower or all-upper hex is
// taken as is; mixed case must be a valid EIP-55 checksum.
func ParseAddress(s string) (common.Address, error) {
	if len(s) != 42 || (s[:2] != "0x" && s[:2] != "0X") {
		return common.Address{}, fmt.Errorf("address %q: want 0x and 40 hex digits", truncate(s))
	}
	b, err := hexutil.Decode("0x" + s[2:])
	if err != nil {
		return common.Address{}, fmt.Errorf("address %q: want 0x and 40 hex digits", truncate(s))
	}
	a := common.BytesToAddress(b)
	h := s[2:]
	if h != strings.ToLower(h) && h != strings.ToUpper(h) && a.Hex() != "0x"+h {
		return common.Address{}, fmt.Errorf("address %s: bad EIP-55 checksum (mistyped? the checksummed form of these digits is %s)", s, a.Hex())
	}
	return a, nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

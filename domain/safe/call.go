package safe

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// ErrBadCall is wrapped by every EncodeCall, DecodeCall and ParseFunction error.
var ErrBadCall = errors.New("bad call")

// Function is a parsed function signature: its canonical form (what the
// selector hashes), the selector, and the argument types.
type Function struct {
	Name      string
	Signature string // canonical: "revokeRole(bytes32,address)"
	Selector  [4]byte
	Inputs    abi.Arguments
}

// ParseFunction parses "name(type,...)". Types are the ABI's elementary
// types: uintN, intN (uint and int mean 256 bits), address, bool, bytes,
// bytesN, string. Arrays and tuples are refused: a containment call whose
// arguments cannot be read on one line is not one to sign in a hurry.
func ParseFunction(sig string) (Function, error) {
	sig = strings.TrimSpace(sig)
	open := strings.IndexByte(sig, '(')
	if open <= 0 || !strings.HasSuffix(sig, ")") {
		return Function{}, fmt.Errorf("%w: function %q: want name(type,...), e.g. pause() or revokeRole(bytes32,address)", ErrBadCall, truncate(sig))
	}
	name := sig[:open]
	if !isIdent(name) {
		return Function{}, fmt.Errorf("%w: function name %q is not an identifier", ErrBadCall, truncate(name))
	}
	var types []string
	if inner := strings.TrimSpace(sig[open+1 : len(sig)-1]); inner != "" {
		for _, t := range strings.Split(inner, ",") {
			ct, err := canonicalType(strings.TrimSpace(t))
			if err != nil {
				return Function{}, err
			}
			types = append(types, ct)
		}
	}
	args := make(abi.Arguments, len(types))
	for i, t := range types {
		typ, err := abi.NewType(t, "", nil)
		if err != nil {
			return Function{}, fmt.Errorf("%w: type %q: %v", ErrBadCall, t, err)
		}
		args[i] = abi.Argument{Type: typ}
	}
	m := abi.NewMethod(name, name, abi.Function, "", false, false, args, nil)
	f := Function{Name: name, Signature: m.Sig, Inputs: args}
	copy(f.Selector[:], m.ID)
	return f, nil
}

func isIdent(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}

// canonicalType checks an elementary type and spells it as the selector
// wants (uint -> uint256).
func canonicalType(t string) (string, error) {
	switch {
	case t == "address" || t == "bool" || t == "bytes" || t == "string":
		return t, nil
	case t == "uint" || t == "int":
		return t + "256", nil
	case strings.ContainsAny(t, "[]()"):
		return "", fmt.Errorf("%w: type %q: arrays and tuples are not supported", ErrBadCall, truncate(t))
	}
	for _, p := range []struct {
		prefix   string
		min, max int
		step     int
	}{{"uint", 8, 256, 8}, {"int", 8, 256, 8}, {"bytes", 1, 32, 1}} {
		if rest, ok := strings.CutPrefix(t, p.prefix); ok {
			n, err := strconv.Atoi(rest)
			if err == nil && rest[0] != '0' && n >= p.min && n <= p.max && n%p.step == 0 {
				return t, nil
			}
		}
	}
	return "", fmt.Errorf("%w: type %q is not an ABI type (uintN, intN, address, bool, bytes, bytesN, string)", ErrBadCall, truncate(t))
}

// EncodeCall ABI-encodes a call from a signature and string arguments, with
// go-ethereum's accounts/abi: "pause()", "changeThreshold(uint256)",
// "revokeRole(bytes32,address)". Args are typed by the signature: uint/int
// as decimal or 0x hex, address as 0x hex, bool as true/false, bytes and
// bytesN as 0x hex (bytesN exactly N bytes), string as is. A wrong count or
// a bad value is a clear error wrapping ErrBadCall.
func EncodeCall(function string, args []string) ([]byte, error) {
	f, err := ParseFunction(function)
	if err != nil {
		return nil, err
	}
	if len(args) != len(f.Inputs) {
		return nil, fmt.Errorf("%w: %s takes %d argument(s), got %d", ErrBadCall, f.Signature, len(f.Inputs), len(args))
	}
	vals := make([]any, len(args))
	for i, a := range args {
		v, err := parseArg(f.Inputs[i].Type, a)
		if err != nil {
			return nil, fmt.Errorf("%w: %s argument %d (%s): %v", ErrBadCall, f.Signature, i+1, f.Inputs[i].Type.String(), err)
		}
		vals[i] = v
	}
	packed, err := f.Inputs.Pack(vals...)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadCall, f.Signature, err)
	}
	return append(f.Selector[:], packed...), nil
}

func parseArg(t abi.Type, s string) (any, error) {
	switch t.T {
	case abi.UintTy, abi.IntTy:
		n, err := parseInt(s)
		if err != nil {
			return nil, err
		}
		lo, hi := intRange(t)
		if n.Cmp(lo) < 0 || n.Cmp(hi) > 0 {
			return nil, fmt.Errorf("%s is out of range for %s", truncate(s), t.String())
		}
		goType := t.GetType()
		if goType.Kind() == reflect.Ptr { // *big.Int for sizes above 64
			return n, nil
		}
		v := reflect.New(goType).Elem()
		if t.T == abi.UintTy {
			v.SetUint(n.Uint64())
		} else {
			v.SetInt(n.Int64())
		}
		return v.Interface(), nil
	case abi.AddressTy:
		return ParseAddress(s)
	case abi.BoolTy:
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("%q: want true or false", truncate(s))
	case abi.StringTy:
		return s, nil
	case abi.BytesTy:
		b, err := hexutil.Decode(s)
		if err != nil {
			return nil, fmt.Errorf("%q: want 0x and an even number of hex digits", truncate(s))
		}
		return b, nil
	case abi.FixedBytesTy:
		b, err := hexutil.Decode(s)
		if err != nil || len(b) != t.Size {
			return nil, fmt.Errorf("%q: want 0x and exactly %d hex digits", truncate(s), 2*t.Size)
		}
		v := reflect.New(t.GetType()).Elem()
		reflect.Copy(v, reflect.ValueOf(b))
		return v.Interface(), nil
	}
	return nil, fmt.Errorf("unsupported type %s", t.String())
}

// parseInt reads a decimal (optionally negative) or 0x hex integer.
func parseInt(s string) (*big.Int, error) {
	if len(s) > 80 {
		return nil, fmt.Errorf("%q is too long for a 256-bit integer", truncate(s))
	}
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		if n, ok := new(big.Int).SetString(h, 16); ok && h != "" && !strings.HasPrefix(h, "-") && !strings.HasPrefix(h, "+") {
			return n, nil
		}
		return nil, fmt.Errorf("%q is not a hex integer", truncate(s))
	}
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return nil, fmt.Errorf("%q is not a decimal integer", truncate(s))
	}
	n, _ := new(big.Int).SetString(s, 10)
	return n, nil
}

func intRange(t abi.Type) (lo, hi *big.Int) {
	one := big.NewInt(1)
	if t.T == abi.UintTy {
		return new(big.Int), new(big.Int).Sub(new(big.Int).Lsh(one, uint(t.Size)), one)
	}
	half := new(big.Int).Lsh(one, uint(t.Size-1))
	return new(big.Int).Neg(half), new(big.Int).Sub(half, one)
}

// DecodeCall is the inverse of EncodeCall, for display: the arguments as
// strings in the form EncodeCall takes (integers in decimal, addresses
// checksummed, bytes 0x hex). It refuses data whose selector is not the
// function's, and data that is not exactly the canonical encoding of those
// arguments (trailing or non-canonical bytes could hide a payload from the
// owners reading the decoded call).
func DecodeCall(function string, data []byte) ([]string, error) {
	f, err := ParseFunction(function)
	if err != nil {
		return nil, err
	}
	if len(data) < 4 || !bytes.Equal(data[:4], f.Selector[:]) {
		got := "none (data shorter than 4 bytes)"
		if len(data) >= 4 {
			got = hexutil.Encode(data[:4])
		}
		return nil, fmt.Errorf("%w: data's selector %s is not %s's %s", ErrBadCall, got, f.Signature, hexutil.Encode(f.Selector[:]))
	}
	vals, err := f.Inputs.Unpack(data[4:])
	if err != nil {
		return nil, fmt.Errorf("%w: data does not decode as %s: %v", ErrBadCall, f.Signature, err)
	}
	if len(vals) != len(f.Inputs) {
		return nil, fmt.Errorf("%w: data decodes to %d values, %s takes %d", ErrBadCall, len(vals), f.Signature, len(f.Inputs))
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = formatArg(v)
	}
	again, err := EncodeCall(f.Signature, out)
	if err != nil || !bytes.Equal(again, data) {
		return nil, fmt.Errorf("%w: data is not the canonical encoding of %s (extra or non-zero padding bytes)", ErrBadCall, f.Signature)
	}
	return out, nil
}

func formatArg(v any) string {
	rv := reflect.ValueOf(v)
	switch x := v.(type) {
	case *big.Int:
		return x.String()
	case common.Address:
		return x.Hex()
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	case []byte:
		return hexutil.Encode(x)
	}
	switch rv.Kind() {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Array: // bytesN
		b := make([]byte, rv.Len())
		reflect.Copy(reflect.ValueOf(b), rv)
		return hexutil.Encode(b)
	}
	return fmt.Sprint(v)
}

package safe

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

func TestEncodeCall(t *testing.T) {
	role := "0x" + strings.Repeat("ab", 32)
	acct := "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
	for _, c := range []struct {
		function string
		args     []string
		want     string // hex; the selector and words
	}{
		{"pause()", nil, "0x8456cb59"},
		{"pause( )", []string{}, "0x8456cb59"},
		{"changeThreshold(uint256)", []string{"1"}, "0x694e80c3" + word32("01")},
		{"changeThreshold(uint)", []string{"0x1"}, "0x694e80c3" + word32("01")},
		{"revokeRole(bytes32,address)", []string{role, acct}, "0xd547741f" + strings.Repeat("ab", 32) + word32("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")},
		{"revokeRole(bytes32, address)", []string{role, strings.ToLower(acct)}, "0xd547741f" + strings.Repeat("ab", 32) + word32("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")},
		{"setFlag(bool)", []string{"true"}, "0x3927f6af" + word32("01")},
		{"setFee(uint8)", []string{"255"}, "0x" + selectorOf("setFee(uint8)") + word32("ff")},
		{"setDelta(int16)", []string{"-1"}, "0x" + selectorOf("setDelta(int16)") + strings.Repeat("ff", 32)},
		{"setDelta(int256)", []string{"-2"}, "0x" + selectorOf("setDelta(int256)") + strings.Repeat("ff", 31) + "fe"},
	} {
		got, err := EncodeCall(c.function, c.args)
		if err != nil {
			t.Errorf("EncodeCall(%s, %v): %v", c.function, c.args, err)
			continue
		}
		if hexutil.Encode(got) != c.want {
			t.Errorf("EncodeCall(%s, %v) = %x, want %s", c.function, c.args, got, c.want)
		}
	}
}

// Dynamic types match go-ethereum's encoding of a method parsed from JSON ABI.
func TestEncodeCallDynamicMatchesABI(t *testing.T) {
	parsed, err := abi.JSON(strings.NewReader(`[{"type":"function","name":"note","inputs":[{"type":"string"},{"type":"bytes"},{"type":"address"}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	a := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	want, err := parsed.Pack("note", "paused: incident 42", []byte{1, 2, 3}, a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := EncodeCall("note(string,bytes,address)", []string{"paused: incident 42", "0x010203", a.Hex()})
	if err != nil || hexutil.Encode(got) != hexutil.Encode(want) {
		t.Fatalf("EncodeCall = %x, %v; want %x", got, err, want)
	}
	args, err := DecodeCall("note(string,bytes,address)", got)
	if err != nil || strings.Join(args, "|") != "paused: incident 42|0x010203|"+a.Hex() {
		t.Fatalf("DecodeCall = %q, %v", args, err)
	}
}

func TestEncodeCallBad(t *testing.T) {
	for _, c := range []struct {
		function string
		args     []string
		want     string
	}{
		{"pause", nil, "want name(type,...)"},
		{"(uint256)", []string{"1"}, "want name(type,...)"},
		{"pa use()", nil, "not an identifier"},
		{"1pause()", nil, "not an identifier"},
		{"pause()", []string{"1"}, "takes 0 argument(s), got 1"},
		{"changeThreshold(uint256)", nil, "takes 1 argument(s), got 0"},
		{"changeThreshold(uint256)", []string{"-1"}, "out of range"},
		{"changeThreshold(uint256)", []string{"1.5"}, "not a decimal"},
		{"changeThreshold(uint256)", []string{""}, "not a decimal"},
		{"changeThreshold(uint256)", []string{"0x"}, "not a hex"},
		{"changeThreshold(uint256)", []string{"0x-1"}, "not a hex"},
		{"changeThreshold(uint256)", []string{"115792089237316195423570985008687907853269984665640564039457584007913129639936"}, "out of range"},
		{"setFee(uint8)", []string{"256"}, "out of range"},
		{"setDelta(int8)", []string{"-129"}, "out of range"},
		{"setOwner(address)", []string{"0x1234"}, "40 hex digits"},
		{"setOwner(address)", []string{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"}, "checksum"},
		{"setFlag(bool)", []string{"yes"}, "true or false"},
		{"revokeRole(bytes32,address)", []string{"0xabcd", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}, "exactly 64 hex digits"},
		{"setData(bytes)", []string{"0xabc"}, "even number"},
		{"setOwners(address[])", []string{"[]"}, "arrays and tuples are not supported"},
		{"f((uint256,address))", []string{"x"}, "arrays and tuples"},
		{"f(uint7)", []string{"1"}, "not an ABI type"},
		{"f(uint264)", []string{"1"}, "not an ABI type"},
		{"f(uint08)", []string{"1"}, "not an ABI type"},
		{"f(bytes33)", []string{"0x00"}, "not an ABI type"},
		{"f(bytes0)", []string{"0x"}, "not an ABI type"},
		{"f(address,)", []string{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", ""}, "not an ABI type"},
		{"f(float)", []string{"1"}, "not an ABI type"},
	} {
		_, err := EncodeCall(c.function, c.args)
		if err == nil || !errors.Is(err, ErrBadCall) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("EncodeCall(%q, %q) = %v, want %q", c.function, c.args, err, c.want)
		}
	}
}

func TestDecodeCall(t *testing.T) {
	role := "0x" + strings.Repeat("ab", 32)
	acct := "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
	for _, c := range []struct {
		function string
		args     []string
	}{
		{"pause()", []string{}},
		{"changeThreshold(uint256)", []string{"3"}},
		{"revokeRole(bytes32,address)", []string{role, acct}},
		{"setFee(uint8)", []string{"255"}},
		{"setDelta(int64)", []string{"-9223372036854775808"}},
		{"setFlag(bool)", []string{"false"}},
		{"setNote(string)", []string{""}},
		{"setData(bytes)", []string{"0x"}},
	} {
		data, err := EncodeCall(c.function, c.args)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeCall(c.function, data)
		if err != nil || strings.Join(got, ",") != strings.Join(c.args, ",") || len(got) != len(c.args) {
			t.Errorf("DecodeCall(%s) = %q, %v; want %q", c.function, got, err, c.args)
		}
	}
}

func TestDecodeCallBad(t *testing.T) {
	pause, _ := EncodeCall("pause()", nil)
	thr, _ := EncodeCall("changeThreshold(uint256)", []string{"2"})
	dirty := append([]byte{}, thr...)
	dirty[4] = 1 // a uint8 with non-zero high padding
	short := thr[:20]
	for _, c := range []struct {
		name, function string
		data           []byte
		want           string
	}{
		{"other selector", "unpause()", pause, "selector 0x8456cb59 is not unpause()'s"},
		{"empty", "pause()", nil, "shorter than 4 bytes"},
		{"trailing bytes after pause", "pause()", append(append([]byte{}, pause...), 0xde, 0xad), "not the canonical encoding"},
		{"trailing word", "changeThreshold(uint256)", append(append([]byte{}, thr...), make([]byte, 32)...), "not the canonical encoding"},
		{"truncated", "changeThreshold(uint256)", short, "does not decode"},
		{"dirty padding", "setFee(uint8)", append(mustSelector("setFee(uint8)"), dirty[4:]...), "does not decode"},
		{"bad signature", "pause", pause, "want name(type,...)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeCall(c.function, c.data)
			if err == nil || !errors.Is(err, ErrBadCall) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("DecodeCall = %v, want %q", err, c.want)
			}
		})
	}
}

func FuzzDecodeCall(f *testing.F) {
	for _, c := range []struct{ fn, arg string }{
		{"pause()", ""}, {"changeThreshold(uint256)", "1"}, {"setNote(string)", "hi"},
		{"setData(bytes)", "0x0102"}, {"setFee(uint8)", "7"}, {"setOwner(address)", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
	} {
		var args []string
		if c.arg != "" {
			args = []string{c.arg}
		}
		data, err := EncodeCall(c.fn, args)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(c.fn, data)
	}
	f.Add("revokeRole(bytes32,address)", []byte{0xd5, 0x47, 0x74, 0x1f})
	f.Fuzz(func(t *testing.T, fn string, data []byte) {
		args, err := DecodeCall(fn, data)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes.
		again, err := EncodeCall(fn, args)
		if err != nil || hexutil.Encode(again) != hexutil.Encode(data) {
			t.Fatalf("DecodeCall(%q) = %q, which re-encodes to %x, %v", fn, args, again, err)
		}
	})
}

// FuzzEncodeCall: a function and arguments as a runbook or a command line
// gives them (NUL separates the arguments). EncodeCall refuses them with
// ErrBadCall or encodes them to data that DecodeCall reads back, and the
// arguments read back encode to the same data.
func FuzzEncodeCall(f *testing.F) {
	acct := "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
	for _, c := range []struct{ fn, args string }{
		{"pause()", ""}, {"changeThreshold(uint256)", "0x10"}, {"setFee(int8)", "-128"}, {"setNote(string)", "h\x00i"},
		{"revokeRole(bytes32,address)", "0x" + strings.Repeat("ab", 32) + "\x00" + acct},
		{"f(bool,bytes,uint)", "true\x000x\x00007"}, {" g ( uint8 , bytes2 ) ", "255\x000x0102"}, {"h(uint[])", "1"},
	} {
		f.Add(c.fn, c.args)
	}
	f.Fuzz(func(t *testing.T, fn, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		data, err := EncodeCall(fn, args)
		if err != nil {
			if !errors.Is(err, ErrBadCall) {
				t.Fatalf("EncodeCall(%q, %q): %v does not wrap ErrBadCall", fn, args, err)
			}
			return
		}
		back, err := DecodeCall(fn, data)
		if err != nil {
			t.Fatalf("EncodeCall(%q, %q) = %x, which DecodeCall refuses: %v", fn, args, data, err)
		}
		again, err := EncodeCall(fn, back)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("EncodeCall(%q, %q) = %x, read back as %q, encodes to %x, %v", fn, args, data, back, again, err)
		}
	})
}

func word32(h string) string { return strings.Repeat("0", 64-len(h)) + h }

func selectorOf(sig string) string { return hexutil.Encode(mustSelector(sig))[2:] }

func mustSelector(sig string) []byte {
	f, err := ParseFunction(sig)
	if err != nil {
		panic(err)
	}
	return append([]byte{}, f.Selector[:]...)
}

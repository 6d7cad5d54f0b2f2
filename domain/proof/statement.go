package proof

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Statement is what the second key signs. Its canonical text is one
// "name: value" per line under the header line, in a fixed order, ending with
// "\n"; times are RFC 3339 UTC to the second:
//
//	tminus identity proof v1
//	workspace: 5f1c…
//	member: 0x8d3F…
//	kind: ssh
//	fingerprint: SHA256:…
//	issued-at: 2026-12-06T13:00:00Z
//	expires: 2027-06-07T13:00:00Z
type Statement struct {
	Workspace   string         // the workspace id (what the rest of tminus calls it)
	Member      common.Address // the member's tminus address
	Kind        string
	Fingerprint string // Fingerprint(Kind, key)
	IssuedAt    time.Time
	Expires     time.Time
}

const (
	statementHeader = "tminus identity proof v1"
	timeLayout      = "2006-01-02T15:04:05Z"
)

// statementFields are the field names in their canonical order.
var statementFields = []string{"workspace", "member", "kind", "fingerprint", "issued-at", "expires"}

// Marshal returns the canonical text of s: the exact bytes the second key signs.
// Times are truncated to the second and written in UTC.
func (s Statement) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(statementHeader + "\n")
	for i, v := range []string{
		s.Workspace,
		s.Member.Hex(),
		s.Kind,
		s.Fingerprint,
		s.IssuedAt.UTC().Format(timeLayout),
		s.Expires.UTC().Format(timeLayout),
	} {
		b.WriteString(statementFields[i] + ": " + v + "\n")
	}
	return b.Bytes()
}

// ParseStatement parses the canonical text strictly: it accepts only bytes
// that Marshal of the result reproduces exactly, so a statement has one
// spelling and a signature over it means one thing.
func ParseStatement(b []byte) (Statement, error) {
	if len(b) > MaxStatement {
		return Statement{}, fmt.Errorf("%w: statement is %d bytes, the limit is %d", ErrTooLarge, len(b), MaxStatement)
	}
	text := string(b)
	if !strings.HasSuffix(text, "\n") {
		return Statement{}, fmt.Errorf("%w: it must end with a newline (print it with tminus proof statement)", ErrStatement)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 1+len(statementFields) || lines[0] != statementHeader {
		return Statement{}, fmt.Errorf("%w: want the line %q and then %d fields (print it with tminus proof statement)",
			ErrStatement, statementHeader, len(statementFields))
	}
	values := make([]string, len(statementFields))
	for i, name := range statementFields {
		v, ok := strings.CutPrefix(lines[1+i], name+": ")
		if !ok {
			return Statement{}, fmt.Errorf("%w: line %d must start with %q", ErrStatement, 2+i, name+": ")
		}
		if err := checkValue(v); err != nil {
			return Statement{}, fmt.Errorf("%w: %s: %v", ErrStatement, name, err)
		}
		values[i] = v
	}
	s := Statement{Workspace: values[0], Kind: values[2], Fingerprint: values[3]}
	if !common.IsHexAddress(values[1]) {
		return Statement{}, fmt.Errorf("%w: member %q is not an address", ErrStatement, values[1])
	}
	s.Member = common.HexToAddress(values[1])
	if !slices.Contains(Kinds, s.Kind) {
		return Statement{}, fmt.Errorf("%w: kind %q is not one of %s", ErrStatement, s.Kind, strings.Join(Kinds, ", "))
	}
	var err error
	if s.IssuedAt, err = time.Parse(timeLayout, values[4]); err != nil {
		return Statement{}, fmt.Errorf("%w: issued-at: want YYYY-MM-DDThh:mm:ssZ", ErrStatement)
	}
	if s.Expires, err = time.Parse(timeLayout, values[5]); err != nil {
		return Statement{}, fmt.Errorf("%w: expires: want YYYY-MM-DDThh:mm:ssZ", ErrStatement)
	}
	if !s.Expires.After(s.IssuedAt) {
		return Statement{}, fmt.Errorf("%w: expires %s is not after issued-at %s", ErrStatement, values[5], values[4])
	}
	// The round trip catches every other second spelling: a lower-case
	// address, a time that parses but prints differently.
	if !bytes.Equal(s.Marshal(), b) {
		return Statement{}, fmt.Errorf("%w: not in canonical form (print it with tminus proof statement)", ErrStatement)
	}
	return s, nil
}

// checkValue refuses empty values and anything but printable ASCII without
// spaces: every field is an id, an address, a kind, a fingerprint or a time.
func checkValue(v string) error {
	if v == "" {
		return fmt.Errorf("empty")
	}
	for _, r := range v {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("%q holds a character outside printable ASCII", v)
		}
	}
	return nil
}

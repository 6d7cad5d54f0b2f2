package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

var testWS = domain.ID(crypto.Keccak256Hash([]byte("tminus/test-workspace")))

// sealed signs b as a first event of s in testWS.
func sealed(t *testing.T, s domain.Signer, b domain.Body) *domain.Event {
	t.Helper()
	data, err := domain.EncodeBody(b)
	if err != nil {
		t.Fatal(err)
	}
	e, err := domain.Seal(domain.Header{WS: testWS, Seq: 1, Lamport: 1, Time: uint64(domaintest.Epoch), Kind: b.Kind()}, data, s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func note() *domain.Note {
	return &domain.Note{Incident: domain.ID{1}, Text: "checked the multisig <owners> & threshold"}
}

// wire mirrors the envelope's RLP list so tests can take it apart.
type wire struct {
	Header rlp.RawValue
	Sig    []byte
	Body   []byte `rlp:"optional"`
}

func unwire(t *testing.T, raw []byte) wire {
	t.Helper()
	var w wire
	if err := rlp.DecodeBytes(raw, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w wire) encode(t *testing.T) []byte {
	t.Helper()
	b, err := rlp.EncodeToBytes(&w)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// envelope encodes a header as given, unsigned: for shape checks, which
// come before the signature.
func envelope(t *testing.T, h domain.Header, body []byte) []byte {
	t.Helper()
	h.BodyHash = crypto.Keccak256Hash(body)
	hdr, err := rlp.EncodeToBytes(&h)
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 65)
	sig[64] = 27
	return wire{Header: hdr, Sig: sig, Body: body}.encode(t)
}

func withSig(t *testing.T, raw []byte, sig []byte) []byte {
	t.Helper()
	w := unwire(t, raw)
	w.Sig = sig
	return w.encode(t)
}

// highS returns the malleable twin of a low-S signature: s' = N - s, with
// the recovery id flipped so it recovers the same key.
func highS(sig []byte) []byte {
	n := crypto.S256().Params().N
	s := new(big.Int).SetBytes(sig[32:64])
	twin := append([]byte(nil), sig...)
	new(big.Int).Sub(n, s).FillBytes(twin[32:64])
	twin[64] = 27 + 28 - twin[64]
	return twin
}

func TestSealDecodeVerify(t *testing.T) {
	s := domaintest.Signer(1, 0)
	b := note()
	e := sealed(t, s, b)
	if err := e.Verify(); err != nil {
		t.Fatalf("fresh event does not verify: %v", err)
	}
	d, err := domain.Decode(e.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != e.ID || !bytes.Equal(d.Raw, e.Raw) || !reflect.DeepEqual(d.Header, e.Header) || !bytes.Equal(d.Body, e.Body) {
		t.Fatalf("decode differs:\n%+v\n%+v", d, e)
	}
	if err := d.Verify(); err != nil {
		t.Fatal(err)
	}
	if d.Author != s.Address() || d.V != domain.Format || d.Redacted || d.BodyHash != crypto.Keccak256Hash(d.Body) {
		t.Fatalf("header: %+v", d.Header)
	}
	got, err := domain.DecodeBody(d.Kind, d.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, b) {
		t.Fatalf("body %+v, want %+v", got, b)
	}
	if d.Sig[64] != 27 && d.Sig[64] != 28 {
		t.Fatalf("v = %d, want 27 or 28 (personal_sign)", d.Sig[64])
	}
	// The id is keccak256 of the header as signed; the signature is over
	// its EIP-191 digest.
	if pub, err := crypto.SigToPub(domain.SigningHash(e.ID), append(e.Sig[:64:64], e.Sig[64]-27)); err != nil || crypto.PubkeyToAddress(*pub) != s.Address() {
		t.Fatalf("signature is not personal_sign over the id: %v", err)
	}
	id, err := domain.ParseID(e.ID.String())
	if err != nil || id != e.ID || !strings.HasPrefix(e.ID.String(), e.ID.Short()) || len(e.ID.Short()) != 10 {
		t.Fatalf("ParseID(String()) = %s, %v", id, err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	alice, bob := domaintest.Signer(1, 0), domaintest.Signer(1, 1)
	e := sealed(t, alice, note())
	// Verified once, alice's key is remembered: no forgery may pass on it.
	if err := e.Verify(); err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		sig := append([]byte(nil), e.Sig...)
		sig[i] ^= 0x01
		return sig
	}
	bobSig, err := bob.SignHash(domain.SigningHash(e.ID))
	if err != nil {
		t.Fatal(err)
	}
	bobSig[64] += 27
	v := func(v byte) []byte {
		sig := append([]byte(nil), e.Sig...)
		sig[64] = v
		return sig
	}
	for _, c := range []struct {
		name string
		sig  []byte
		want []error // any of
	}{
		{"forged: a byte of r flipped", flip(5), []error{domain.ErrWrongAuthor, domain.ErrBadSignature}},
		{"forged: a byte of s flipped", flip(40), []error{domain.ErrWrongAuthor, domain.ErrBadSignature}},
		{"recovery id flipped", v(27 + 28 - e.Sig[64]), []error{domain.ErrWrongAuthor, domain.ErrBadSignature}},
		{"signed by another key than the author", bobSig, []error{domain.ErrWrongAuthor}},
		{"high-S twin", highS(e.Sig), []error{domain.ErrHighS}},
		{"raw v=0 (not personal_sign)", v(e.Sig[64] - 27), []error{domain.ErrBadSignature}},
		{"v=29", v(29), []error{domain.ErrBadSignature}},
		{"all zero", make([]byte, 65), []error{domain.ErrBadSignature}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := domain.Decode(withSig(t, e.Raw, c.sig))
			if err != nil {
				t.Fatalf("decode: %v (the signature is checked by Verify, not Decode)", err)
			}
			if d.ID != e.ID {
				t.Fatal("the id must not cover the signature")
			}
			err = d.Verify()
			for _, w := range c.want {
				if errors.Is(err, w) {
					return
				}
			}
			t.Fatalf("Verify = %v, want one of %v", err, c.want)
		})
	}
}

// The twin is a real second signature of the same id by the same key:
// Ecrecover alone accepts it, which is why Verify must refuse high S.
func TestHighSTwinRecoversSameKey(t *testing.T) {
	s := domaintest.Signer(1, 0)
	e := sealed(t, s, note())
	twin := highS(e.Sig)
	if bytes.Equal(twin, e.Sig) {
		t.Fatal("twin equals the signature")
	}
	twin[64] -= 27
	pub, err := crypto.Ecrecover(domain.SigningHash(e.ID), twin)
	if err != nil {
		t.Skipf("this secp256k1 refuses high S itself: %v", err)
	}
	if got := common.BytesToAddress(crypto.Keccak256(pub[1:])[12:]); got != s.Address() {
		t.Fatalf("twin recovers %s, want %s", got.Hex(), s.Address().Hex())
	}
}

func TestDecodeRefuses(t *testing.T) {
	s := domaintest.Signer(1, 0)
	e := sealed(t, s, note())
	body := e.Body
	ok := domain.Header{V: domain.Format, WS: testWS, Author: s.Address(), Seq: 1, Lamport: 1, Time: 1, Kind: domain.KindNote}
	h := func(mut func(*domain.Header)) []byte {
		c := ok
		mut(&c)
		return envelope(t, c, body)
	}
	tampered := bytes.Replace(e.Raw, []byte("multisig"), []byte("multiSIG"), 1)
	if bytes.Equal(tampered, e.Raw) {
		t.Fatal("body text not found in raw")
	}
	rng := rand.New(rand.NewSource(7))
	garbage := make([]byte, 300)
	rng.Read(garbage)
	w := unwire(t, e.Raw)
	extraHeader := func() []byte {
		var fields []rlp.RawValue
		if err := rlp.DecodeBytes(w.Header, &fields); err != nil {
			t.Fatal(err)
		}
		fields = append(fields, rlp.RawValue{0x01})
		hdr, _ := rlp.EncodeToBytes(fields)
		return wire{Header: hdr, Sig: w.Sig, Body: w.Body}.encode(t)
	}()
	fourFields, _ := rlp.EncodeToBytes([]any{w.Header, w.Sig, w.Body, []byte("more")})
	stringHeader, _ := rlp.EncodeToBytes([]any{[]byte("header"), w.Sig, w.Body})
	deps := make([]domain.ID, domain.MaxDeps+1)

	for _, c := range []struct {
		name string
		raw  []byte
		want error
	}{
		{"nil", nil, domain.ErrMalformed},
		{"empty", []byte{}, domain.ErrMalformed},
		{"garbage", garbage, domain.ErrMalformed},
		{"one byte", []byte{0xc0}, domain.ErrMalformed},
		{"trailing bytes after the RLP", append(append([]byte(nil), e.Raw...), 0x00), domain.ErrMalformed},
		{"truncated", e.Raw[:len(e.Raw)-1], domain.ErrMalformed},
		{"oversized", make([]byte, domain.MaxEventSize+1), domain.ErrTooLarge},
		{"body does not match the id", tampered, domain.ErrBodyMismatch},
		{"header with an extra field", extraHeader, domain.ErrMalformed},
		{"envelope with a fourth element", fourFields, domain.ErrMalformed},
		{"header is a string", stringHeader, domain.ErrMalformed},
		{"format version 2", h(func(h *domain.Header) { h.V = 2 }), domain.ErrNewer}, // also ErrMalformed
		{"format version 0", h(func(h *domain.Header) { h.V = 0 }), domain.ErrMalformed},
		{"seq 0", h(func(h *domain.Header) { h.Seq = 0 }), domain.ErrMalformed},
		{"seq 1 with a prev", h(func(h *domain.Header) { h.Prev = domain.ID{9} }), domain.ErrMalformed},
		{"seq 2 without a prev", h(func(h *domain.Header) { h.Seq = 2 }), domain.ErrMalformed},
		{"lamport 0", h(func(h *domain.Header) { h.Lamport = 0 }), domain.ErrMalformed},
		{"too many deps", h(func(h *domain.Header) { h.Deps = deps }), domain.ErrMalformed},
		{"empty kind", h(func(h *domain.Header) { h.Kind = "" }), domain.ErrMalformed},
		{"kind too long", h(func(h *domain.Header) { h.Kind = strings.Repeat("k", domain.MaxKindLen+1) }), domain.ErrMalformed},
		{"time out of range", h(func(h *domain.Header) { h.Time = 1<<53 + 1 }), domain.ErrMalformed},
		{"no workspace", h(func(h *domain.Header) { h.WS = domain.ZeroID }), domain.ErrMalformed},
		{"genesis with a workspace", h(func(h *domain.Header) { h.Kind = domain.KindGenesis }), domain.ErrMalformed},
		{"genesis at seq 2", h(func(h *domain.Header) {
			h.Kind, h.WS, h.Seq, h.Prev = domain.KindGenesis, domain.ZeroID, 2, domain.ID{1}
		}), domain.ErrMalformed},
		{"genesis with deps", h(func(h *domain.Header) { h.Kind, h.WS, h.Deps = domain.KindGenesis, domain.ZeroID, []domain.ID{{1}} }), domain.ErrMalformed},
		{"short signature", withSig(t, e.Raw, e.Sig[:64]), domain.ErrMalformed},
		{"long signature", withSig(t, e.Raw, append(append([]byte(nil), e.Sig...), 0)), domain.ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := domain.Decode(c.raw)
			if !errors.Is(err, c.want) {
				t.Fatalf("Decode = %v, %v; want %v", d, err, c.want)
			}
		})
	}
	// The same header with a valid shape decodes: the cases above fail for
	// the reason they name.
	if _, err := domain.Decode(h(func(*domain.Header) {})); err != nil {
		t.Fatalf("control case: %v", err)
	}
}

func TestSealRefusesOversized(t *testing.T) {
	big := &domain.Note{Incident: domain.ID{1}, Text: strings.Repeat("x", 16<<10)}
	data, err := domain.EncodeBody(big)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Repeat(data, 20) // not a valid body, but Seal only checks size
	_, err = domain.Seal(domain.Header{WS: testWS, Seq: 1, Lamport: 1, Kind: domain.KindNote}, data, domaintest.Signer(1, 0))
	if !errors.Is(err, domain.ErrTooLarge) {
		t.Fatalf("Seal of %d bytes = %v, want ErrTooLarge", len(data), err)
	}
}

func TestRedactedStillVerifies(t *testing.T) {
	e := sealed(t, domaintest.Signer(1, 0), note())
	r, err := e.Redact()
	if err != nil {
		t.Fatal(err)
	}
	if !r.Redacted || r.Body != nil || r.ID != e.ID || len(r.Raw) >= len(e.Raw) || r.BodyHash != e.BodyHash {
		t.Fatalf("redacted: %+v", r)
	}
	d, err := domain.Decode(r.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(); err != nil {
		t.Fatalf("redacted event does not verify: %v", err)
	}
	if !d.Redacted || d.ID != e.ID {
		t.Fatalf("decoded redacted: %+v", d)
	}
	if again, err := d.Redact(); err != nil || again != d {
		t.Fatalf("redacting twice: %v", err)
	}
	// A redacted event cannot be passed off with another body.
	w := unwire(t, r.Raw)
	w.Body = []byte(`{"incident":"` + domain.ID{1}.String() + `","text":"nothing happened"}`)
	if _, err := domain.Decode(w.encode(t)); !errors.Is(err, domain.ErrBodyMismatch) {
		t.Fatalf("other body on a redacted event: %v", err)
	}
}

func TestKeyOrder(t *testing.T) {
	a := domain.Key{Lamport: 1, ID: domain.ID{0xff}}
	b := domain.Key{Lamport: 2, ID: domain.ID{0x00}}
	c := domain.Key{Lamport: 2, ID: domain.ID{0x01}}
	if !a.Less(b) || !b.Less(c) || c.Less(b) || b.Less(a) || a.Less(a) {
		t.Fatal("keys order by lamport, then id")
	}
}

func TestParseID(t *testing.T) {
	full := strings.Repeat("ab", 32)
	for _, c := range []struct {
		in string
		ok bool
	}{
		{full, true},
		{strings.ToUpper(full), true},
		{full[:63], false},
		{full + "a", false},
		{strings.Repeat("zz", 32), false},
		{"", false},
	} {
		id, err := domain.ParseID(c.in)
		if (err == nil) != c.ok {
			t.Errorf("ParseID(%q) = %s, %v", c.in, id, err)
		}
		// UnmarshalText (JSON, snapshots) decodes in place: the same
		// answers and the same errors.
		var un domain.ID
		uerr := un.UnmarshalText([]byte(c.in))
		if un != id || fmt.Sprint(uerr) != fmt.Sprint(err) {
			t.Errorf("UnmarshalText(%q) = %s, %v; ParseID: %s, %v", c.in, un, uerr, id, err)
		}
	}
	var id domain.ID
	if err := id.UnmarshalText([]byte("abc")); err == nil {
		t.Error("UnmarshalText of a short id")
	}
}

func TestDecodeBodyCanonical(t *testing.T) {
	inc := domain.ID{0xab, 0xcd}.String()
	canon := `{"incident":"` + inc + `","text":"a \u003cb\u003e \u0026 c"}`
	if _, err := domain.DecodeBody(domain.KindNote, []byte(canon)); err != nil {
		t.Fatalf("canonical body refused: %v", err)
	}
	for _, c := range []struct{ name, kind, data string }{
		{"spaces", domain.KindNote, `{"incident": "` + inc + `", "text": "a"}`},
		{"fields reordered", domain.KindNote, `{"text":"a","incident":"` + inc + `"}`},
		{"unknown field", domain.KindNote, `{"incident":"` + inc + `","text":"a","admin":true}`},
		{"duplicate field", domain.KindNote, `{"incident":"` + inc + `","text":"a","text":"b"}`},
		{"field name in another case", domain.KindNote, `{"Incident":"` + inc + `","text":"a"}`},
		{"trailing value", domain.KindNote, `{"incident":"` + inc + `","text":"a"}{}`},
		{"trailing newline", domain.KindNote, `{"incident":"` + inc + `","text":"a"}` + "\n"},
		{"html not escaped", domain.KindNote, `{"incident":"` + inc + `","text":"a <b>"}`},
		{"uppercase hex id", domain.KindNote, `{"incident":"` + strings.ToUpper(inc) + `","text":"a"}`},
		{"omitempty field written out", domain.KindTaskAdd, `{"incident":"` + inc + `","title":"t","owner":""}`},
		{"roles not sorted", domain.KindMemberPropose, `{"action":"add","member":{"address":"0x0000000000000000000000000000000000000001","handle":"bob","roles":["triage","comms"]}}`},
		{"not an object", domain.KindNote, `[]`},
		{"empty", domain.KindNote, ``},
		{"null", domain.KindNote, `null`},
		{"unknown kind", "incident.delete", `{}`},
		{"empty kind", "", `{}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := domain.DecodeBody(c.kind, []byte(c.data))
			if !errors.Is(err, domain.ErrMalformed) {
				t.Fatalf("DecodeBody(%s, %s) = %+v, %v; want ErrMalformed", c.kind, c.data, b, err)
			}
		})
	}
}

func TestBodyValidate(t *testing.T) {
	inc := domain.ID{1}
	addr := domaintest.Signer(1, 1).Address()
	okCmd := "cast send 0xvault 'pause()'"
	propose := func(mut func(*domain.RunbookPropose)) *domain.RunbookPropose {
		p := &domain.RunbookPropose{Incident: inc, Runbook: "contract-pause", RunbookHash: domain.CommandHash("rb"), Step: 1,
			Command: okCmd, CommandHash: domain.CommandHash(okCmd), Risk: domain.RiskHigh, Quorum: 2, Approvers: []string{domain.RoleContainment}}
		mut(p)
		return p
	}
	sha := domain.CommandHash("x")
	for _, c := range []struct {
		name string
		b    domain.Body
		want string // "" means valid
	}{
		{"genesis ok", &domain.Genesis{Name: "acme", Founder: domain.MemberSpec{Address: addr, Handle: "alice", Roles: []string{"triage"}}}, ""},
		{"genesis without name", &domain.Genesis{Name: " ", Founder: domain.MemberSpec{Address: addr, Handle: "alice", Roles: []string{"triage"}}}, "name is required"},
		{"genesis founder without roles", &domain.Genesis{Name: "acme", Founder: domain.MemberSpec{Address: addr, Handle: "alice"}}, "at least one role"},
		{"genesis negative quorum", &domain.Genesis{Name: "acme", Policy: domain.Policy{RosterQuorum: -1}, Founder: domain.MemberSpec{Address: addr, Handle: "alice", Roles: []string{"triage"}}}, "roster quorum"},
		{"member add without address", &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Handle: "bob"}}, "address is required"},
		{"member add bad handle", &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: addr, Handle: "Bob!"}}, "handle"},
		{"member add unknown role", &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: addr, Handle: "bob", Roles: []string{"admin"}}}, "unknown role"},
		{"member add role twice", &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: addr, Handle: "bob", Roles: []string{"comms", "comms"}}}, "twice"},
		{"member add long enode", &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: addr, Handle: "bob", Enode: strings.Repeat("e", 513)}}, "enode"},
		{"member remove without handle", &domain.MemberPropose{Action: domain.ActionRemove}, "handle"},
		{"member unknown action", &domain.MemberPropose{Action: "promote", Member: domain.MemberSpec{Address: addr, Handle: "bob"}}, "action"},
		{"member approve without proposal", &domain.MemberApprove{}, "proposal is required"},
		{"alert without fingerprint", &domain.AlertObserve{Title: "t", Status: domain.AlertFiring}, "fingerprint is required"},
		{"alert without title", &domain.AlertObserve{Fingerprint: "f", Status: domain.AlertFiring}, "title is required"},
		{"alert bad severity", &domain.AlertObserve{Fingerprint: "f", Title: "t", Status: domain.AlertFiring, Severity: "P0"}, "severity"},
		{"alert bad status", &domain.AlertObserve{Fingerprint: "f", Title: "t", Status: "pending"}, "status"},
		{"alert invalid utf-8", &domain.AlertObserve{Fingerprint: "f", Title: "t\xff", Status: domain.AlertFiring}, "UTF-8"},
		{"alert empty label name", &domain.AlertObserve{Fingerprint: "f", Title: "t", Status: domain.AlertFiring, Labels: map[string]string{"": "v"}}, "label name"},
		{"alert ack without alert", &domain.AlertAck{}, "alert is required"},
		{"declare without title", &domain.IncidentDeclare{Severity: "P1"}, "title is required"},
		{"declare bad severity", &domain.IncidentDeclare{Title: "t", Severity: "high"}, "severity"},
		{"declare title too long", &domain.IncidentDeclare{Title: strings.Repeat("t", 201), Severity: "P1"}, "limit 200"},
		{"severity bad", &domain.IncidentSeverity{Incident: inc, Severity: "P5"}, "severity"},
		{"severity without incident", &domain.IncidentSeverity{Severity: "P2"}, "incident is required"},
		{"status declared", &domain.IncidentStatus{Incident: inc, Status: domain.StatusDeclared}, "status"},
		{"status unknown", &domain.IncidentStatus{Incident: inc, Status: "closed"}, "status"},
		{"assign observer role", &domain.IncidentAssign{Incident: inc, Role: domain.RoleObserver, Member: "bob"}, "role"},
		{"assign bad handle", &domain.IncidentAssign{Incident: inc, Role: domain.RoleComms, Member: "Bob"}, "not a handle"},
		{"link without alert", &domain.IncidentLink{Incident: inc}, "alert is required"},
		{"task without title", &domain.TaskAdd{Incident: inc}, "title is required"},
		{"task bad owner", &domain.TaskAdd{Incident: inc, Title: "t", Owner: "9lives"}, "owner"},
		{"task negative due", &domain.TaskAdd{Incident: inc, Title: "t", Due: -1}, "negative"},
		{"task done without task", &domain.TaskDone{}, "task is required"},
		{"task reopen without task", &domain.TaskReopen{}, "task is required"},
		{"task assign bad owner", &domain.TaskAssign{Task: inc, Owner: ""}, "owner"},
		{"note empty", &domain.Note{Incident: inc, Text: "  "}, "text is required"},
		{"note too long", &domain.Note{Incident: inc, Text: strings.Repeat("n", 16<<10+1)}, "limit"},
		{"note without incident", &domain.Note{Text: "hi"}, "incident is required"},
		{"timer without due", &domain.TimerSet{Incident: inc, Label: "l"}, "due is required"},
		{"timer every under a second", &domain.TimerSet{Incident: inc, Label: "l", Due: 1, Every: 999}, "at least 1s"},
		{"timer done without timer", &domain.TimerDone{}, "timer is required"},
		{"evidence bad sha256", &domain.EvidenceAdd{Incident: inc, Name: "n", SHA256: strings.ToUpper(sha)}, "sha256"},
		{"evidence negative size", &domain.EvidenceAdd{Incident: inc, Name: "n", SHA256: sha, Size: -1}, "negative"},
		{"runbook ok", propose(func(*domain.RunbookPropose) {}), ""},
		{"runbook command hash mismatch", propose(func(p *domain.RunbookPropose) { p.Command += " --force" }), "does not match"},
		{"runbook step 0", propose(func(p *domain.RunbookPropose) { p.Step = 0 }), "step"},
		{"runbook unknown risk", propose(func(p *domain.RunbookPropose) { p.Risk = "medium" }), "risk"},
		{"runbook high risk without quorum", propose(func(p *domain.RunbookPropose) { p.Quorum = 0 }), "quorum"},
		{"runbook high risk without approvers", propose(func(p *domain.RunbookPropose) { p.Approvers = nil }), "approvers"},
		{"runbook bad runbook hash", propose(func(p *domain.RunbookPropose) { p.RunbookHash = "abc" }), "sha256"},
		{"runbook low risk needs no quorum", propose(func(p *domain.RunbookPropose) { p.Risk, p.Quorum, p.Approvers = domain.RiskLow, 0, nil }), ""},
		{"runbook approve without proposal", &domain.RunbookApprove{}, "proposal is required"},
		{"exec bad output hash", &domain.RunbookExec{Proposal: inc, Output: "out"}, "sha256"},
		{"exec negative duration", &domain.RunbookExec{Proposal: inc, Output: sha, DurationMs: -1}, "negative"},
		{"exec without proposal", &domain.RunbookExec{Output: sha}, "proposal is required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.b.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("valid body refused: %v", err)
				}
				data, err := domain.EncodeBody(c.b)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := domain.DecodeBody(c.b.Kind(), data); err != nil {
					t.Fatalf("EncodeBody output does not DecodeBody: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want an error about %q", err, c.want)
			}
			if _, err := domain.EncodeBody(c.b); err == nil {
				t.Fatal("EncodeBody accepted an invalid body")
			}
			// The same bytes arriving from a peer are refused too.
			data, err := json.Marshal(c.b)
			if err != nil {
				return // e.g. invalid UTF-8 cannot even be marshalled faithfully
			}
			if _, err := domain.DecodeBody(c.b.Kind(), data); !errors.Is(err, domain.ErrMalformed) {
				t.Fatalf("DecodeBody of an invalid body = %v", err)
			}
		})
	}
}

func TestKindsHaveBodies(t *testing.T) {
	ks := domain.Kinds()
	if !sort.StringsAreSorted(ks) || len(ks) != 29 {
		t.Fatalf("Kinds() = %v", ks)
	}
	for _, k := range ks {
		// An empty object names the kind's body type; it fails validation
		// (every kind has a required field), never the kind lookup.
		_, err := domain.DecodeBody(k, []byte(`{}`))
		if err == nil || strings.Contains(err.Error(), "unknown kind") {
			t.Errorf("%s: %v", k, err)
		}
	}
}

func TestNormalizeRolesAndHandles(t *testing.T) {
	if got := domain.NormalizeRoles([]string{"triage", "comms", "triage"}); !reflect.DeepEqual(got, []string{"comms", "triage"}) {
		t.Errorf("NormalizeRoles = %v", got)
	}
	for h, ok := range map[string]bool{"alice": true, "a": true, "bob.smith-2_x": true, "": false, "Alice": false, "1bob": false,
		strings.Repeat("a", 32): true, strings.Repeat("a", 33): false, "al ice": false} {
		if domain.ValidHandle(h) != ok {
			t.Errorf("ValidHandle(%q) = %v", h, !ok)
		}
	}
}

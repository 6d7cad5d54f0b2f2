package runbooks

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
)

const safeFront = "id: pause-it\ntitle: Pause\nrisk: high\nquorum: 2\napprovers: [containment]\n" +
	"params:\n" +
	"  safe:\n    description: the Safe\n    pattern: '^0x[0-9a-fA-F]{40}$'\n" +
	"  target:\n    description: the target\n    pattern: '^0x[0-9a-fA-F]{40}$'\n" +
	"  role:\n    description: a role\n    pattern: '^0x[0-9a-f]{64}$'\n" +
	"safe:\n  chain_id: 1337\n  address: \"{{safe}}\"\n  to: \"{{target}}\"\n" +
	"  function: \"revokeRole(bytes32,address)\"\n  args: [\"{{role}}\", \"{{safe}}\"]\n  value: \"0\"\n  operation: call\n"

const fallbackBody = "1. Fallback\n   ```sh\n   cast send {{target}} 'pause()'\n   ```\n"

var safeParams = map[string]string{
	"safe":   "0x5aFE3855358E112B5647B952709E6165e1c1eEEe",
	"target": "0x6B175474E89094C44Da98b954EedeAC495271d0F",
	"role":   "0x" + strings.Repeat("ab", 32),
}

func TestSafeBlockRenders(t *testing.T) {
	rb := mustParse(t, runbook(safeFront, fallbackBody))
	if rb.Safe == nil || rb.Safe.Function != "revokeRole(bytes32,address)" || len(rb.Steps) != 1 {
		t.Fatalf("safe block: %+v", rb.Safe)
	}
	if got := strings.Join(rb.Safe.Params(), ","); got != "role,safe,target" {
		t.Errorf("Params = %s", got)
	}
	c, err := rb.RenderSafe(safeParams)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := safe.EncodeCall("revokeRole(bytes32,address)", []string{safeParams["role"], safeParams["safe"]})
	if c.ChainID.Int64() != 1337 || c.Safe != common.HexToAddress(safeParams["safe"]) || c.To != common.HexToAddress(safeParams["target"]) ||
		string(c.Data) != string(want) || c.Operation != safe.Call || c.Value.Sign() != 0 {
		t.Fatalf("rendered: %+v", c)
	}
	b, err := rb.SafeProposal(domain.ID{1}, safeParams, SafeState{Version: "1.4.1", Threshold: 2, Nonce: big.NewInt(4),
		Owners: []common.Address{common.HexToAddress("0x01aa"), common.HexToAddress("0x02bb")}})
	if err != nil {
		t.Fatal(err)
	}
	if b.SafeTxHash != b.Tx.Hash() || b.Tx.Nonce.Int64() != 4 || b.RunbookHash != rb.ContentHash {
		t.Fatalf("proposal: %+v", b)
	}
}

func TestSafeBlockParseErrors(t *testing.T) {
	cases := []struct {
		name, from, to, want string
	}{
		{"delegatecall not allowed", "operation: call", "operation: delegatecall", "refused unless the block says allow_delegatecall: true"},
		{"unknown operation", "operation: call", "operation: staticcall", "want call or delegatecall"},
		{"undeclared param", "{{target}}", "{{nope}}", "uses {{nope}} but params declares no nope"},
		{"bad function", "revokeRole(bytes32,address)", "revokeRole(bytes32,address[])", "arrays and tuples"},
		{"unknown field", "  value: \"0\"\n", "  gas: \"0\"\n", "unknown field safe.gas"},
		{"missing to", "  to: \"{{target}}\"\n", "", "safe.to is missing"},
		{"args not a list", "args: [\"{{role}}\", \"{{safe}}\"]", "args: x", "must be a list"},
		{"allow not a bool", "operation: call", "operation: call\n  allow_delegatecall: yes please", "true or false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			front := strings.Replace(safeFront, c.from, c.to, 1)
			if front == safeFront {
				t.Fatalf("%q not in the front matter", c.from)
			}
			_, err := Parse("t.md", []byte(runbook(front, fallbackBody)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse = %v, want %q", err, c.want)
			}
		})
	}
	allowed := strings.Replace(safeFront, "operation: call", "operation: delegatecall\n  allow_delegatecall: true", 1)
	rb := mustParse(t, runbook(allowed, fallbackBody))
	c, err := rb.RenderSafe(safeParams)
	if err != nil || c.Operation != safe.DelegateCall || !c.AllowDelegateCall {
		t.Fatalf("an allowed delegatecall: %+v, %v", c, err)
	}
}

func TestSafeBlockRenderErrors(t *testing.T) {
	rb := mustParse(t, runbook(safeFront, fallbackBody))
	with := func(k, v string) map[string]string {
		out := map[string]string{}
		for a, b := range safeParams {
			out[a] = b
		}
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	for _, c := range []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"missing param", with("role", ""), "missing param role"},
		{"pattern refuses", with("safe", "0x1234"), "does not match"},
		{"unknown param", with("bogus", "x"), "unknown param bogus"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := rb.RenderSafe(c.params); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("RenderSafe = %v, want %q", err, c.want)
			}
		})
	}
	plain := mustParse(t, withCommand("echo {{v}}"))
	if _, err := plain.RenderSafe(nil); err == nil || !strings.Contains(err.Error(), "no safe: block") {
		t.Fatalf("RenderSafe without a block = %v", err)
	}
}

// A proposal is checked against this machine's rendering of the runbook:
// any field that differs is refused.
func TestCheckSafeProposal(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pause.md": runbook(safeFront, fallbackBody)})
	lib, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := lib.Get("pause-it")
	proposal := func() *domain.SafeProposal {
		b, err := rb.SafeProposal(domain.ID{1}, safeParams, SafeState{Version: "1.4.1", Threshold: 1, Nonce: big.NewInt(0),
			Owners: []common.Address{common.HexToAddress("0x01aa")}})
		if err != nil {
			t.Fatal(err)
		}
		return &domain.SafeProposal{ID: domain.ID{2}, SafePropose: *b}
	}
	if err := CheckSafeProposal(lib, proposal()); err != nil {
		t.Fatalf("the runbook's own rendering is refused: %v", err)
	}
	for _, c := range []struct {
		name string
		mut  func(p *domain.SafeProposal)
		want string
	}{
		{"target", func(p *domain.SafeProposal) { p.Tx.To = common.HexToAddress("0xbad") }, "target (to)"},
		{"data", func(p *domain.SafeProposal) { p.Tx.Data, _ = safe.EncodeCall("pause()", nil) }, "data"},
		{"operation", func(p *domain.SafeProposal) { p.Tx.Operation = safe.DelegateCall }, "operation delegatecall differs"},
		{"Safe", func(p *domain.SafeProposal) { p.Tx.Safe = common.HexToAddress("0xbad") }, "Safe"},
		{"chain id", func(p *domain.SafeProposal) { p.Tx.ChainID = big.NewInt(1) }, "chain id 1 differs"},
		{"value", func(p *domain.SafeProposal) { p.Tx.Value = big.NewInt(1) }, "value 1 differs"},
		{"gas refund", func(p *domain.SafeProposal) { p.Tx.GasPrice = big.NewInt(1) }, "gas refund"},
		{"runbook file", func(p *domain.SafeProposal) { p.RunbookHash = strings.Repeat("0", 64) }, "differs from the proposer's"},
		{"unknown runbook", func(p *domain.SafeProposal) { p.Runbook = "nope" }, "no runbook"},
		{"params no longer match", func(p *domain.SafeProposal) { p.Params = map[string]string{"safe": "x"} }, "does not match"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := proposal()
			c.mut(p)
			if err := CheckSafeProposal(lib, p); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CheckSafeProposal = %v, want %q", err, c.want)
			}
		})
	}
}

// The embedded safe-freeze and contract-pause carry safe steps.
func TestEmbeddedSafeSteps(t *testing.T) {
	lib := loadEmbedded(t)
	for id, want := range map[string]struct{ function, to string }{
		"safe-freeze":    {"changeThreshold(uint256)", "{{safe}}"},
		"contract-pause": {"pause()", "{{contract}}"},
	} {
		rb, _ := lib.Get(id)
		if rb.Safe == nil || rb.Safe.Function != want.function || rb.Safe.To != want.to || rb.Safe.Operation != safe.Call {
			t.Fatalf("%s safe block: %+v", id, rb.Safe)
		}
		if len(rb.Steps) == 0 || !strings.HasPrefix(rb.Steps[len(rb.Steps)-1].Command, "cast ") {
			t.Errorf("%s lost its cast fallback steps", id)
		}
		if _, err := rb.RenderSafe(paramsFor(t, rb)); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

// FuzzRenderSafe fills a safe block with arbitrary values behind a lax pattern: it
// must refuse or return a call whose data is the function's encoding of the args.
func FuzzRenderSafe(f *testing.F) {
	front := "id: lax\ntitle: Lax\nrisk: low\nparams:\n  v:\n    description: anything\n    pattern: '^[a-z]+$'\n" +
		"safe:\n  chain_id: \"{{v}}\"\n  address: \"0x5aFE3855358E112B5647B952709E6165e1c1eEEe\"\n  to: \"{{v}}\"\n" +
		"  function: \"grant(uint8,address,bytes)\"\n  args: [\"{{v}}\", \"{{v}}\", \"{{v}}\"]\n  value: \"{{v}}\"\n"
	rb, err := parseLax("lax.md", runbook(front, "1. Print\n   ```sh\n   printf %s {{v}}\n   ```\n"))
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range []string{"1", "0x01", "0x5aFE3855358E112B5647B952709E6165e1c1eEEe", "", "-1", "{{v}}", "\x00"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c, err := rb.RenderSafe(map[string]string{"v": v})
		if err != nil {
			return
		}
		data, err := safe.EncodeCall(c.Function, c.Args)
		if err != nil || string(data) != string(c.Data) || c.ChainID.Sign() <= 0 || c.Value.Sign() < 0 {
			t.Fatalf("rendered %+v from %q", c, v)
		}
	})
}

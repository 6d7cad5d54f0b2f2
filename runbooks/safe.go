package runbooks

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
	"go.yaml.in/yaml/v3"
)

// SafeStep is a runbook's `safe:` block: one Safe transaction, its values
// taking the runbook's checked parameters ({{param}}). Its values are kept
// as written; RenderSafe fills them in.
type SafeStep struct {
	ChainID           string // decimal, or a {{param}}
	Address           string // the Safe
	To                string
	Function          string // "pause()"; no placeholders: the call is the runbook's, not the proposer's
	Args              []string
	Value             string // wei, decimal
	Operation         safe.Operation
	AllowDelegateCall bool
	Line              int // of the safe: key

	lines map[string]int // of each field's value, for checkSafeLiterals
}

var safeKeys = []string{"chain_id", "address", "to", "function", "args", "value", "operation", "allow_delegatecall"}

// safeBlock parses the `safe:` mapping. Every value is checked as far as
// it can be before parameters are known: placeholders must name declared
// parameters (checked after the whole front matter is read, see
// checkSafeHoles), the function must parse, and a DELEGATECALL needs
// allow_delegatecall: true.
func (p *parser) safeBlock(rb *Runbook, k, v *yaml.Node, offset int) error {
	at := func(n *yaml.Node) int { return n.Line + offset }
	if v.Kind != yaml.MappingNode {
		return p.errf(at(v), "safe must be a mapping (chain_id, address, to, function, args, value, operation)")
	}
	st := &SafeStep{Value: "0", Operation: safe.Call, Line: at(k), lines: map[string]int{}}
	seen := map[string]bool{}
	opLine := at(k)
	for i := 0; i+1 < len(v.Content); i += 2 {
		fk, fv := v.Content[i], resolve(v.Content[i+1])
		if seen[fk.Value] {
			return p.errf(at(fk), "safe.%s is set twice", fk.Value)
		}
		seen[fk.Value] = true
		st.lines[fk.Value] = at(fv)
		if fk.Value == "args" {
			if fv.Kind != yaml.SequenceNode {
				return p.errf(at(fv), "safe.args must be a list of strings, [] for none")
			}
			st.Args = []string{}
			for _, item := range fv.Content {
				item = resolve(item)
				if item.Kind != yaml.ScalarNode {
					return p.errf(at(item), "safe.args must be a list of plain values")
				}
				st.Args = append(st.Args, item.Value)
			}
			continue
		}
		if !slices.Contains(safeKeys, fk.Value) {
			return p.errf(at(fk), "unknown field safe.%s (known: %s)", fk.Value, strings.Join(safeKeys, ", "))
		}
		if fv.Kind != yaml.ScalarNode {
			return p.errf(at(fv), "safe.%s must be a single value", fk.Value)
		}
		s := strings.TrimSpace(fv.Value)
		switch fk.Value {
		case "chain_id":
			st.ChainID = s
		case "address":
			st.Address = s
		case "to":
			st.To = s
		case "function":
			if _, err := safe.ParseFunction(s); err != nil {
				return p.errf(at(fv), "safe.function: %v", err)
			}
			if holeRe.MatchString(s) || strings.Contains(s, "{{") {
				return p.errf(at(fv), "safe.function is fixed by the runbook: no placeholders")
			}
			st.Function = s
		case "value":
			st.Value = s
		case "operation":
			opLine = at(fv)
			switch s {
			case "call":
				st.Operation = safe.Call
			case "delegatecall":
				st.Operation = safe.DelegateCall
			default:
				return p.errf(at(fv), "safe.operation %q: want call or delegatecall", s)
			}
		case "allow_delegatecall":
			if fv.Tag != "!!bool" {
				return p.errf(at(fv), "safe.allow_delegatecall must be true or false")
			}
			st.AllowDelegateCall = s == "true"
		}
	}
	for _, req := range []string{"chain_id", "address", "to", "function"} {
		if !seen[req] {
			return p.errf(at(k), "safe.%s is missing", req)
		}
	}
	if st.Args == nil {
		st.Args = []string{}
	}
	if st.Operation == safe.DelegateCall && !st.AllowDelegateCall {
		return p.errf(opLine, "safe.operation is delegatecall, which runs the target's code as the Safe itself "+
			"(it can replace the owners): refused unless the block says allow_delegatecall: true")
	}
	if st.AllowDelegateCall && st.Operation != safe.DelegateCall {
		// The permission says the author meant a DELEGATECALL (a MultiSend, say); sent as a
		// CALL the transaction does something else, or nothing.
		return p.errf(st.lines["allow_delegatecall"], "safe.allow_delegatecall is true but operation is call (the default): "+
			"set operation: delegatecall, or remove allow_delegatecall")
	}
	rb.Safe = st
	return nil
}

// values are the block's templated values, by name, for placeholder checks.
func (st *SafeStep) values() map[string]string {
	out := map[string]string{"chain_id": st.ChainID, "address": st.Address, "to": st.To, "value": st.Value}
	for i, a := range st.Args {
		out["args["+strconv.Itoa(i)+"]"] = a
	}
	return out
}

// Params lists the parameter names the block uses, sorted.
func (st *SafeStep) Params() []string {
	var names []string
	for _, v := range st.values() {
		for _, m := range holeRe.FindAllStringSubmatch(v, -1) {
			if !slices.Contains(names, m[1]) {
				names = append(names, m[1])
			}
		}
	}
	slices.Sort(names)
	return names
}

// checkSafeHoles refuses a placeholder that names no declared parameter,
// or a malformed one, once the params are known.
func (p *parser) checkSafeHoles(rb *Runbook) error {
	st := rb.Safe
	if st == nil {
		return nil
	}
	for field, v := range st.values() {
		for _, m := range holeRe.FindAllStringSubmatch(v, -1) {
			if _, ok := rb.Param(m[1]); !ok {
				return p.errf(st.Line, "safe.%s uses {{%s}} but params declares no %s%s", field, m[1], m[1], declared(rb))
			}
		}
		if strings.Contains(holeRe.ReplaceAllString(v, ""), "{{") {
			return p.errf(st.Line, "safe.%s: malformed placeholder (placeholders look like {{name}})", field)
		}
	}
	return nil
}

// checkSafeLiterals checks what the block fixes, as RenderSafe would at propose time:
// an address one digit short, a chain id in hex or args that do not fit the function
// would otherwise load, show, and fail only when the pause is needed.
func (p *parser) checkSafeLiterals(rb *Runbook) error {
	st := rb.Safe
	if st == nil {
		return nil
	}
	fixed := func(v string) bool { return !strings.Contains(v, "{{") }
	line := func(field string) int {
		if n, ok := st.lines[field]; ok {
			return n
		}
		return st.Line
	}
	if n, ok := new(big.Int).SetString(st.ChainID, 10); fixed(st.ChainID) && (!ok || n.Sign() <= 0) {
		return p.errf(line("chain_id"), "safe.chain_id %q is not a chain id: a decimal number such as 1, or a {{param}}", st.ChainID)
	}
	for _, f := range []struct{ name, v string }{{"address", st.Address}, {"to", st.To}} {
		if _, err := safe.ParseAddress(f.v); fixed(f.v) && err != nil {
			return p.errf(line(f.name), "safe.%s: %v, or a {{param}}", f.name, err)
		}
	}
	if n, ok := new(big.Int).SetString(st.Value, 10); fixed(st.Value) && (!ok || n.Sign() < 0) {
		return p.errf(line("value"), "safe.value %q is not an amount of wei: a decimal number such as 0, or a {{param}}", st.Value)
	}
	fn, err := safe.ParseFunction(st.Function)
	if err != nil {
		return nil // safeBlock refused it already
	}
	if len(st.Args) != len(fn.Inputs) {
		return p.errf(line("args"), "safe.args has %d value(s) but %s takes %d: give one per argument", len(st.Args), fn.Signature, len(fn.Inputs))
	}
	if slices.ContainsFunc(st.Args, func(a string) bool { return !fixed(a) }) {
		return nil // typed when the values are known
	}
	if _, err := safe.EncodeCall(st.Function, st.Args); err != nil {
		return p.errf(line("args"), "safe.args: %v", err)
	}
	return nil
}

// SafeCall is a rendered `safe:` block: the call a Safe transaction makes.
type SafeCall struct {
	ChainID           *big.Int
	Safe              common.Address
	To                common.Address
	Value             *big.Int
	Function          string
	Args              []string
	Data              []byte
	Operation         safe.Operation
	AllowDelegateCall bool
}

// RenderSafe fills the `safe:` block with parameter values, checked against
// their patterns as for a shell step, and encodes the call. Values go in
// as they are (no shell quoting: nothing here reaches a shell); what they
// become must still parse as a chain id, an address, a wei amount or an
// argument of the function's type.
func (r *Runbook) RenderSafe(params map[string]string) (*SafeCall, error) {
	st := r.Safe
	if st == nil {
		return nil, fmt.Errorf("runbook %s has no safe: block (tminus runbook show %s)", r.ID, r.ID)
	}
	if err := r.checkParams(params); err != nil {
		return nil, err
	}
	var missing []string
	for _, name := range st.Params() {
		if _, ok := params[name]; !ok {
			prm, _ := r.Param(name)
			missing = append(missing, fmt.Sprintf("%s (%s)", name, prm.Description))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("runbook %s safe step: missing param %s", r.ID, strings.Join(missing, ", "))
	}
	fill := func(v string) string {
		return holeRe.ReplaceAllStringFunc(v, func(h string) string { return params[holeRe.FindStringSubmatch(h)[1]] })
	}
	c := &SafeCall{Function: st.Function, Operation: st.Operation, AllowDelegateCall: st.AllowDelegateCall}
	var ok bool
	if c.ChainID, ok = new(big.Int).SetString(fill(st.ChainID), 10); !ok || c.ChainID.Sign() <= 0 {
		return nil, fmt.Errorf("runbook %s safe.chain_id %q is not a chain id", r.ID, fill(st.ChainID))
	}
	var err error
	if c.Safe, err = safe.ParseAddress(fill(st.Address)); err != nil {
		return nil, fmt.Errorf("runbook %s safe.address: %w", r.ID, err)
	}
	if c.To, err = safe.ParseAddress(fill(st.To)); err != nil {
		return nil, fmt.Errorf("runbook %s safe.to: %w", r.ID, err)
	}
	if c.Value, ok = new(big.Int).SetString(fill(st.Value), 10); !ok || c.Value.Sign() < 0 {
		return nil, fmt.Errorf("runbook %s safe.value %q is not an amount of wei", r.ID, fill(st.Value))
	}
	for _, a := range st.Args {
		c.Args = append(c.Args, fill(a))
	}
	if c.Args == nil {
		c.Args = []string{}
	}
	if c.Data, err = safe.EncodeCall(st.Function, c.Args); err != nil {
		return nil, fmt.Errorf("runbook %s safe step: %w", r.ID, err)
	}
	return c, nil
}

// checkParams: every value given is declared and matches its pattern.
func (r *Runbook) checkParams(params map[string]string) error {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		prm, ok := r.Param(k)
		if !ok {
			return fmt.Errorf("runbook %s: unknown param %s%s", r.ID, k, declared(r))
		}
		if err := prm.Check(params[k]); err != nil {
			return fmt.Errorf("runbook %s: %w", r.ID, err)
		}
	}
	return nil
}

// SafeState is what the Safe says at propose time, read over JSON-RPC.
type SafeState struct {
	Version   string
	Owners    []common.Address
	Threshold uint64
	Nonce     *big.Int
}

// SafeProposal builds the signed safe.propose body: the rendered call as a
// Safe transaction at the Safe's current nonce, with no gas refund (the
// executor pays gas), and its three hashes.
func (r *Runbook) SafeProposal(incident domain.ID, params map[string]string, s SafeState) (*domain.SafePropose, error) {
	c, err := r.RenderSafe(params)
	if err != nil {
		return nil, err
	}
	tx := c.Tx(s.Nonce)
	b := &domain.SafePropose{Incident: incident, Runbook: r.ID, RunbookHash: r.ContentHash, Params: params,
		Function: c.Function, Args: c.Args, AllowDelegateCall: c.AllowDelegateCall, Tx: tx, Version: s.Version,
		Owners: s.Owners, Threshold: s.Threshold, DomainHash: tx.DomainHash(), MessageHash: tx.MessageHash(), SafeTxHash: tx.Hash()}
	if len(b.Params) == 0 {
		b.Params = nil
	}
	return b, b.Validate()
}

// Tx is the call as a Safe transaction at nonce.
func (c *SafeCall) Tx(nonce *big.Int) *safe.Tx {
	return &safe.Tx{ChainID: c.ChainID, Safe: c.Safe, To: c.To, Value: c.Value, Data: c.Data, Operation: c.Operation,
		SafeTxGas: new(big.Int), BaseGas: new(big.Int), GasPrice: new(big.Int), Nonce: nonce}
}

// CheckSafeProposal re-renders the runbook's `safe:` block with a
// proposal's parameters and refuses the proposal when it does not match
// this machine's runbook: another file, or a chain, Safe, target, value,
// call data or operation other than the rendering's. An owner signs, and
// an executor sends, only what their own runbook renders.
func CheckSafeProposal(lib *Library, p *domain.SafeProposal) error {
	rb, ok := lib.Get(p.Runbook)
	if !ok {
		return fmt.Errorf("no runbook %q on this machine to check safe proposal %s against", p.Runbook, p.ID.Short())
	}
	if rb.ContentHash != p.RunbookHash {
		return fmt.Errorf("%s hashes %s, the proposal has %s: the runbook differs from the proposer's%s", rb.Source, short(rb.ContentHash), short(p.RunbookHash),
			rb.encodingHint(p.RunbookHash))
	}
	c, err := rb.RenderSafe(p.Params)
	if err != nil {
		return err
	}
	tx := p.Tx
	for _, d := range []struct {
		what      string
		same      bool
		got, want string
	}{
		{"chain id", tx.ChainID.Cmp(c.ChainID) == 0, tx.ChainID.String(), c.ChainID.String()},
		{"Safe", tx.Safe == c.Safe, tx.Safe.Hex(), c.Safe.Hex()},
		{"target (to)", tx.To == c.To, tx.To.Hex(), c.To.Hex()},
		{"value", tx.Value.Cmp(c.Value) == 0, tx.Value.String(), c.Value.String()},
		{"data", string(tx.Data) == string(c.Data), fmt.Sprintf("%x", tx.Data), fmt.Sprintf("%x", c.Data)},
		{"operation", tx.Operation == c.Operation, tx.Operation.String(), c.Operation.String()},
		{"function", p.Function == c.Function, p.Function, c.Function},
	} {
		if !d.same {
			return fmt.Errorf("safe proposal %s: its %s %s differs from the runbook's rendering %s", p.ID.Short(), d.what, clipS(d.got), clipS(d.want))
		}
	}
	if tx.GasPrice.Sign() != 0 || tx.GasToken != (common.Address{}) || tx.RefundReceiver != (common.Address{}) ||
		tx.SafeTxGas.Sign() != 0 || tx.BaseGas.Sign() != 0 {
		return fmt.Errorf("safe proposal %s pays a gas refund, which a runbook's transaction never does", p.ID.Short())
	}
	return nil
}

func clipS(s string) string {
	if len(s) > 74 {
		return s[:74] + "…"
	}
	return s
}

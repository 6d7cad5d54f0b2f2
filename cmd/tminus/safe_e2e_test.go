package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
	"github.com/tminus-ir/tminus/onchain/chaintest"
)

// keystoreFile writes k as a light-scrypt keystore under the test
// passphrase, as an owner's wallet export would be.
func keystoreFile(t *testing.T, k *ecdsa.PrivateKey, name string) string {
	t.Helper()
	data, err := keystore.EncryptKey(&keystore.Key{Id: uuid.New(), Address: crypto.PubkeyToAddress(k.PublicKey), PrivateKey: k},
		"correct horse", keystore.LightScryptN, keystore.LightScryptP)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name+".json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// onChainJSONCommands need a chain, so TestJSONTimes leaves them to the
// tests here, which read their JSON through checkedJSON.
var onChainJSONCommands = []string{"tminus safe propose", "tminus safe show", "tminus safe sign", "tminus safe exec",
	"tminus safe export", "tminus anchor"}

// checkedJSON runs a command with --json and holds its times to
// jsonTimeFormat, as TestJSONTimes does for the others.
func checkedJSON(t *testing.T, home string, args ...string) string {
	t.Helper()
	out := must(t, home, append(args, "--json")...)
	var tc timeChecker
	tc.walk(strings.Join(args[:2], " "), decodeJSON(t, out))
	for _, p := range tc.problems {
		t.Errorf("tminus %s --json: %s", strings.Join(args, " "), p)
	}
	return out
}

// sync copies every event of from into to, by bundle.
func syncBundle(t *testing.T, from, to string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "b.jsonl")
	must(t, from, "bundle", "export", file)
	must(t, to, "bundle", "import", file)
}

type safeShow struct {
	Safe, To, Value, Data, Operation, Nonce     string
	SafeTxGas                                   string `json:"safe_tx_gas"`
	BaseGas                                     string `json:"base_gas"`
	GasPrice                                    string `json:"gas_price"`
	GasToken                                    string `json:"gas_token"`
	RefundReceiver                              string `json:"refund_receiver"`
	SafeTxHash                                  string `json:"safe_tx_hash"`
	DomainHash                                  string `json:"domain_hash"`
	MessageHash                                 string `json:"message_hash"`
	Confirmations, Threshold, Decoded, Function string
	Executed                                    bool
	Exec                                        *struct {
		TxHash string `json:"tx_hash"`
		Event  string `json:"event"`
	}
}

func showSafe(t *testing.T, home, id string) safeShow {
	t.Helper()
	out := checkedJSON(t, home, "safe", "show", id)
	var v safeShow
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"safe", "to", "value", "data", "operation", "nonce", "safe_tx_gas", "base_gas", "gas_price", "gas_token",
		"refund_receiver", "safe_tx_hash", "domain_hash", "message_hash", "confirmations", "threshold", "executed"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("safe show --json lacks %q", k)
		}
	}
	return v
}

// TestSafeCoSignAndExecOnChain is the scenario on a simulated chain
// with the real Safe v1.4.1: a 2-of-3 Safe owning a pausable target; alice
// proposes pause(); two owners sign from two homes synced by bundle; alice
// executes; paused() is true; every replica holds the execution. Then each
// bad input on the way: threshold not met, non-owner, nonce moved, chain id
// lie, RPC down, replay.
func TestSafeCoSignAndExecOnChain(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2, HTTP: true})
	ctx := context.Background()
	alice, inc := newWorkspace(t)
	bob := filepath.Join(t.TempDir(), "bob")
	var bobID struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, bob, "join", "--handle", "bob", "--light-kdf", "--json")), &bobID); err != nil {
		t.Fatal(err)
	}
	must(t, alice, "member", "add", bobID.Address, "--handle", "bob", "--role", "triage")
	syncBundle(t, alice, bob)

	owner := []string{keystoreFile(t, c.OwnerKeys[0], "owner0"), keystoreFile(t, c.OwnerKeys[1], "owner1")}
	funder := keystoreFile(t, c.Funder, "funder")
	params := []string{"--runbook", "contract-pause", "--param", "safe=" + c.Safe.Hex(), "--param", "contract=" + c.Target.Hex(),
		"--param", "chain_id=1337"}
	propose := func(home string, rpc string, extra ...string) string {
		t.Helper()
		return must(t, home, append(append([]string{"safe", "propose", inc[:8], "--rpc", rpc}, params...), extra...)...)
	}

	if out := must(t, alice, "runbook", "show", "contract-pause"); !strings.Contains(out,
		"safe: pause() to {{contract}} from Safe {{safe}} on chain {{chain_id}}, value 0, call") {
		t.Errorf("runbook show does not show the safe step:\n%s", out)
	}

	// A lying RPC (another chain than the step's) and a dead one propose nothing.
	lie := append([]string{"safe", "propose", inc[:8], "--rpc", c.RPC}, params...)
	lie[len(lie)-1] = "chain_id=1"
	fails(t, alice, "serves chain 1337", lie...)
	fails(t, alice, "rpc unreachable", append([]string{"safe", "propose", inc[:8], "--rpc", "http://127.0.0.1:1"}, params...)...)

	id := propose(alice, c.RPC)
	var second string
	if err := json.Unmarshal([]byte(checkedJSON(t, alice, append([]string{"safe", "propose", inc[:8], "--rpc", c.RPC}, params...)...)),
		&struct {
			ID *string `json:"id"`
		}{&second}); err != nil || len(second) != 64 {
		t.Fatalf("propose --json: %q, %v", second, err)
	} // the same nonce as id: it can never run once the first has
	v := showSafe(t, alice, id)
	if v.Decoded != "pause()" || v.Nonce != "0" || v.Threshold != "2" || v.Confirmations != "0" || v.Operation != "call" ||
		v.Safe != c.Safe.Hex() || v.To != c.Target.Hex() || v.Executed || v.SafeTxGas != "0" || v.Value != "0" {
		t.Fatalf("safe show: %+v", v)
	}
	if text := must(t, alice, "safe", "show", id[:8]); !strings.Contains(text, "safeTxHash    "+v.SafeTxHash) ||
		!strings.Contains(text, "signatures    0 of 2") || !strings.Contains(text, "call          pause()") {
		t.Fatalf("safe show text:\n%s", text)
	}

	// Owner 0 signs at alice's; a non-owner key is refused before anything is recorded.
	must(t, alice, "safe", "sign", id[:8], "--owner-key", owner[0])
	fails(t, alice, "is not an owner", "safe", "sign", id[:8], "--owner-key", funder)
	fails(t, alice, "already signed", "safe", "sign", id[:8], "--owner-key", owner[0])
	stranger, _ := crypto.GenerateKey()
	sig, _ := safe.Sign(stranger, common32(v.SafeTxHash))
	fails(t, alice, "not an owner", "safe", "sign", id[:8], "--signature", hexutil.Encode(sig))
	fails(t, alice, "threshold not met", "safe", "exec", id[:8], "--rpc", c.RPC, "--from-key", funder)

	// Owner 1 signs at bob's, from bob's replica; the signature travels back by bundle.
	syncBundle(t, alice, bob)
	fails(t, bob, "may not execute", "safe", "exec", id[:8], "--rpc", c.RPC, "--from-key", funder)
	// Bob's own copy of the runbook calls something else: he does not sign.
	other := t.TempDir()
	lib, _ := os.ReadFile(filepath.Join("..", "..", "runbooks", "library", "contract-pause.md"))
	os.WriteFile(filepath.Join(other, "contract-pause.md"), []byte(strings.Replace(string(lib), `"pause()"`, `"unpause()"`, 1)), 0o600)
	fails(t, bob, "not signing", "safe", "sign", id[:8], "--owner-key", owner[1], "--runbooks", other)
	checkedJSON(t, bob, "safe", "sign", id[:8], "--owner-key", owner[1])
	syncBundle(t, bob, alice)
	if v := showSafe(t, alice, id); v.Confirmations != "2" {
		t.Fatalf("after bob's sync alice sees %s of 2", v.Confirmations)
	}

	// A second proposal of the same call at the same nonce, signed too.
	must(t, alice, "safe", "sign", second[:8], "--owner-key", owner[0])
	v2 := showSafe(t, alice, second)
	sig2, _ := safe.Sign(c.OwnerKeys[2], common32(v2.SafeTxHash))
	must(t, alice, "safe", "sign", second[:8], "--signature", hexutil.Encode(sig2))

	// The RPC down at exec: a clear error, nothing recorded as executed.
	fails(t, alice, "nothing recorded as executed", "safe", "exec", id[:8], "--rpc", "http://127.0.0.1:1", "--from-key", funder)
	if paused, _ := c.Paused(ctx); paused {
		t.Fatal("paused before the exec")
	}
	out := checkedJSON(t, alice, "safe", "exec", id[:8], "--rpc", c.RPC, "--from-key", funder)
	var x struct{ TxHash, Event string }
	if err := json.Unmarshal([]byte(out), &struct {
		TxHash *string `json:"tx_hash"`
		Event  *string `json:"event"`
	}{&x.TxHash, &x.Event}); err != nil || x.Event != "ExecutionSuccess" {
		t.Fatalf("exec: %s, %v", out, err)
	}
	if paused, err := c.Paused(ctx); err != nil || !paused {
		t.Fatalf("paused() = %v, %v after the exec", paused, err)
	}
	syncBundle(t, alice, bob)
	for _, home := range []string{alice, bob} {
		v := showSafe(t, home, id)
		if !v.Executed || v.Exec == nil || v.Exec.TxHash != x.TxHash || v.Exec.Event != "ExecutionSuccess" {
			t.Fatalf("%s: exec not on the replica: %+v %+v, want %s", filepath.Base(home), v, v.Exec, x.TxHash)
		}
	}
	if must(t, alice, "state-hash") != must(t, bob, "state-hash") {
		t.Fatal("replicas disagree after the sync")
	}
	var metrics struct {
		MTTC *float64 `json:"mttc_s"`
	}
	json.Unmarshal([]byte(must(t, alice, "metrics", "--json")), &metrics)
	if metrics.MTTC == nil {
		t.Error("a successful Safe exec did not count as containment")
	}

	// The incident and its retro say what happened on chain.
	var shown struct {
		SafeTxs []struct {
			ID       string `json:"id"`
			Executed bool   `json:"executed"`
		} `json:"safe_txs"`
	}
	json.Unmarshal([]byte(must(t, bob, "incident", "show", inc[:8], "--json")), &shown)
	if len(shown.SafeTxs) != 2 {
		t.Errorf("incident show --json: %d safe txs, want 2", len(shown.SafeTxs))
	}
	retro := must(t, alice, "export", inc[:8], "--format", "md")
	for _, want := range []string{"## Safe transactions", "`pause()` on Safe " + c.Safe.Hex(), "signed by owner " + c.Owners[1].Hex() + ", recorded by bob",
		"executed by alice: ExecutionSuccess in tx `" + x.TxHash + "`",
		"1 Safe transaction(s) were, listed under \"Safe transactions\" below"} {
		if !strings.Contains(retro, want) {
			t.Errorf("retro lacks %q:\n%s", want, retro)
		}
	}
	if text := must(t, alice, "incident", "show", inc[:8]); !strings.Contains(text, id[:10]+" contract-pause pause() nonce 0 ExecutionSuccess") {
		t.Errorf("incident show:\n%s", text)
	}

	// After the exec: a signature is a replay; the second proposal, at the
	// same nonce, can never execute: refused before the chain is asked.
	fails(t, alice, "nothing left to sign", "safe", "sign", id[:8], "--owner-key", owner[0])
	fails(t, alice, "can never execute", "safe", "sign", second[:8], "--owner-key", owner[1])
	fails(t, alice, "can never execute", "safe", "exec", second[:8], "--rpc", c.RPC, "--from-key", funder)

	// The Transaction Service's shape, for the Safe web app.
	var sts map[string]any
	if err := json.Unmarshal([]byte(checkedJSON(t, alice, "safe", "export", second[:8])), &sts); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"safe": c.Safe.Hex(), "to": c.Target.Hex(), "value": "0", "data": "0x8456cb59", "operation": 0.0,
		"safeTxGas": 0.0, "baseGas": 0.0, "gasPrice": "0", "nonce": 0.0, "contractTransactionHash": v2.SafeTxHash,
		"sender": c.Owners[0].Hex(), "gasToken": "0x0000000000000000000000000000000000000000"} {
		if sts[k] != want {
			t.Errorf("export %s = %v, want %v", k, sts[k], want)
		}
	}
	if s, _ := sts["signature"].(string); len(s) != 2+2*130 {
		t.Errorf("export signature %q: want both owners' 65 bytes packed", s)
	}
}

func common32(h string) [32]byte {
	var out [32]byte
	copy(out[:], hexutil.MustDecode(h))
	return out
}

// TestAnchorAndVerify anchors a workspace on the simulated chain and checks
// an incident's export against it: the export as written reproduces the
// root; a truncated one and one with an edited, validly re-signed event do
// not.
func TestAnchorAndVerify(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{HTTP: true})
	home, inc := newWorkspace(t)
	must(t, home, "note", inc[:8], "vault drained through the bridge")
	must(t, home, "task", "add", inc[:8], "--title", "pause the bridge")
	key := keystoreFile(t, c.Funder, "anchor")
	fails(t, home, "nothing anchored", "anchor", "--rpc", "http://127.0.0.1:1", "--key", key)
	var anc struct {
		Root string `json:"root"`
		Tx   string `json:"tx_hash"`
	}
	if err := json.Unmarshal([]byte(checkedJSON(t, home, "anchor", "--rpc", c.RPC, "--key", key)), &anc); err != nil {
		t.Fatal(err)
	}
	must(t, home, "note", inc[:8], "after the anchor")

	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	must(t, home, "export", inc[:8], "--format", "jsonl", "--out", good)
	out := must(t, home, "verify", "--anchor", "--rpc", c.RPC, good)
	if !strings.Contains(out, "OK: root "+anc.Root) || !strings.Contains(out, "state hash recomputed") {
		t.Fatalf("verify --anchor of the good export:\n%s", out)
	}
	full := filepath.Join(dir, "full.jsonl")
	must(t, home, "bundle", "export", full)
	must(t, home, "verify", "--anchor", "--rpc", c.RPC, full)

	data, _ := os.ReadFile(good)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	anchorLine := -1
	for i, l := range lines {
		if strings.Contains(l, `"kind":"anchor.record"`) {
			anchorLine = i
		}
	}
	if anchorLine < 2 {
		t.Fatalf("the export lacks the anchor record:\n%s", data)
	}
	write := func(name string, ls []string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(strings.Join(ls, "\n")+"\n"), 0o600)
		return p
	}
	// Truncated: the anchored head (the task, just before the anchor) is gone.
	trunc := append(append([]string{}, lines[:anchorLine-1]...), lines[anchorLine:]...)
	_, errs, code := tminus(t, home, "verify", "--anchor", "--rpc", c.RPC, write("trunc.jsonl", trunc))
	if code == 0 || !strings.Contains(errs, "problem") && !strings.Contains(errs, "does not reproduce") {
		t.Fatalf("truncated export: exit %d, %s", code, errs)
	}
	// Edited: alice re-signs her head with another body, and every event
	// after it. Every signature in the file is valid and its chain
	// unbroken, yet the root is not reproduced.
	edited := append([]string{}, lines...)
	resign(t, home, edited, anchorLine-1)
	_, errs, code = tminus(t, home, "verify", "--anchor", "--rpc", c.RPC, write("edited.jsonl", edited))
	if code == 0 || !strings.Contains(errs, "does not reproduce") {
		t.Fatalf("edited export: exit %d, %s", code, errs)
	}
	if _, errs, code := tminus(t, home, "verify", write("edited2.jsonl", edited)); code != 0 {
		t.Fatalf("the edited file should pass plain verify (valid signatures), so only the anchor catches it: %s", errs)
	}
}

// resign replaces the body of the task on lines[from] with another title
// and re-signs it and every line after it with the home's own key, each
// naming the new id of the one before: valid events, an unbroken chain,
// not the one anchored. Every line from `from` on must be the home's.
func resign(t *testing.T, home string, lines []string, from int) {
	t.Helper()
	k := unlockHomeKey(t, home)
	var prev domain.ID
	for i := from; i < len(lines); i++ {
		e, err := domain.ParseLine([]byte(lines[i]))
		if err != nil {
			t.Fatal(err)
		}
		body := e.Body
		if i == from {
			var b domain.TaskAdd
			if err := json.Unmarshal(e.Body, &b); err != nil {
				t.Fatalf("line is not the task: %v", err)
			}
			b.Title = "nothing to see here"
			if body, err = domain.EncodeBody(&b); err != nil {
				t.Fatal(err)
			}
		} else {
			e.Header.Prev = prev
		}
		ne, err := domain.Seal(e.Header, body, domain.KeySigner{Key: k})
		if err != nil {
			t.Fatal(err)
		}
		prev = ne.ID
		out, _ := json.Marshal(domain.NewLine(ne))
		lines[i] = string(out)
	}
}

func unlockHomeKey(t *testing.T, home string) *ecdsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(home, "key.json"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := keystore.DecryptKey(data, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	return k.PrivateKey
}

// receiptless serves rpc's JSON-RPC on 127.0.0.1 but answers every
// eth_getTransactionReceipt with null: a node whose receipts do not come
// in time, while the chain behind it mines as usual.
func receiptless(t *testing.T, rpc string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(body, &req) == nil && req.Method == "eth_getTransactionReceipt" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":null}`, req.ID)
			return
		}
		resp, err := http.Post(rpc, "application/json", bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// signedSafe proposes pause() of the chain's target and records owner
// signatures by the given owner keys' indexes; it returns the proposal id.
func signedSafe(t *testing.T, c *chaintest.Chain, home, inc string, owners ...int) string {
	t.Helper()
	id := must(t, home, "safe", "propose", inc[:8], "--rpc", c.RPC, "--runbook", "contract-pause", "--param", "safe="+c.Safe.Hex(),
		"--param", "contract="+c.Target.Hex(), "--param", "chain_id=1337")
	for _, i := range owners {
		must(t, home, "safe", "sign", id[:8], "--owner-key", keystoreFile(t, c.OwnerKeys[i], fmt.Sprint("owner", i)))
	}
	return id
}

// The receipt of a sent exec does not come in time: the error names the
// transaction and the command that records it; nothing is recorded; a
// second exec is refused for the moved nonce and points at --tx; --tx
// records the execution once, and refuses a pending transaction, another
// transaction, and one already recorded for another proposal.
func TestSafeExecReceiptTimeoutThenTx(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2, HTTP: true})
	ctx := context.Background()
	alice, inc := newWorkspace(t)
	funder := keystoreFile(t, c.Funder, "funder")
	id := signedSafe(t, c, alice, inc, 0, 1)
	twin := signedSafe(t, c, alice, inc) // the same SafeTx at the same nonce: the same safeTxHash

	before := eventCount(t, alice)
	_, errs, code := tminus(t, alice, "safe", "exec", id[:8], "--rpc", receiptless(t, c.RPC), "--from-key", funder, "--wait", "1s")
	m := regexp.MustCompile(`tminus safe exec ` + id[:10] + ` --rpc \S+ --tx (0x[0-9a-f]{64})`).FindStringSubmatch(errs)
	if code == 0 || m == nil || !strings.Contains(errs, "receipt did not come within 1s") || !strings.Contains(errs, "Nothing recorded as executed") {
		t.Fatalf("exec without a receipt: exit %d, stderr:\n%s", code, errs)
	}
	h := m[1]
	if !strings.Contains(errs, "sent execTransaction "+h) {
		t.Errorf("the hash is not said before the wait:\n%s", errs)
	}
	if eventCount(t, alice) != before || showSafe(t, alice, id).Executed {
		t.Fatal("recorded an execution whose receipt never came")
	}
	// The chain behind the proxy mined it all the same.
	for i := 0; ; i++ {
		if paused, _ := c.Paused(ctx); paused {
			break
		}
		if i == 300 {
			t.Fatal("the sent exec was never mined")
		}
		time.Sleep(100 * time.Millisecond)
	}
	fails(t, alice, "--tx HASH", "safe", "exec", id[:8], "--rpc", c.RPC, "--from-key", funder)

	// Bad --tx: malformed, both modes, unknown to the node, pending, another transaction.
	fails(t, alice, "want a transaction hash", "safe", "exec", id[:8], "--rpc", c.RPC, "--tx", "0x1234")
	fails(t, alice, "exactly one of", "safe", "exec", id[:8], "--rpc", c.RPC, "--tx", h, "--from-key", funder)
	fails(t, alice, "wait and retry", "safe", "exec", id[:8], "--rpc", c.RPC, "--tx", "0x"+strings.Repeat("ab", 32))
	fails(t, alice, "not mined yet", "safe", "exec", id[:8], "--rpc", c.RPC, "--tx", queuedTx(t, c).Hex())
	transfer, err := c.Client.Send(ctx, c.Funder, &c.Owners[2], big.NewInt(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	fails(t, alice, "not to Safe", "safe", "exec", id[:8], "--rpc", c.RPC, "--tx", transfer.TxHash.Hex())

	var x struct {
		TxHash  string `json:"tx_hash"`
		Event   string `json:"event"`
		Success bool   `json:"success"`
	}
	if err := json.Unmarshal([]byte(checkedJSON(t, alice, "safe", "exec", id[:8], "--rpc", c.RPC, "--tx", h)), &x); err != nil ||
		x.TxHash != h || x.Event != "ExecutionSuccess" || !x.Success {
		t.Fatalf("exec --tx: %+v, %v", x, err)
	}
	if v := showSafe(t, alice, id); !v.Executed || v.Exec == nil || v.Exec.TxHash != h {
		t.Fatalf("after exec --tx: %+v", v.Exec)
	}
	fails(t, alice, "already executed in tx "+h, "safe", "exec", id[:8], "--rpc", c.RPC, "--tx", h)
	fails(t, alice, "already recorded as the execution of safe proposal "+id[:10], "safe", "exec", twin[:8], "--rpc", c.RPC, "--tx", h)
}

// queuedTx sends, behind a nonce gap, a transfer the node holds but does
// not mine.
func queuedTx(t *testing.T, c *chaintest.Chain) common.Hash {
	t.Helper()
	ctx := context.Background()
	k := c.OwnerKeys[2]
	nonce, err := c.Backend.PendingNonceAt(ctx, crypto.PubkeyToAddress(k.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	price, err := c.Backend.SuggestGasPrice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := types.SignNewTx(k, types.LatestSignerForChainID(c.ChainID), &types.LegacyTx{Nonce: nonce + 5,
		GasPrice: new(big.Int).Mul(price, big.NewInt(2)), Gas: 21_000, To: &c.Owners[0], Value: big.NewInt(1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Sim.Client().SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	return tx.Hash()
}

// Executed outside tminus (the Safe web app, cast) with an owner signature
// recorded here and one that is not: --tx refuses while the recorded
// signatures are below the threshold, lists the commands that record the
// ones the transaction carried, and records the execution once they ran.
func TestSafeExecTxSignedElsewhere(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2, HTTP: true})
	alice, inc := newWorkspace(t)
	id := signedSafe(t, c, alice, inc, 0)
	v := showSafe(t, alice, id)
	data, _ := safe.EncodeCall("pause()", nil)
	tx := &safe.Tx{ChainID: c.ChainID, Safe: c.Safe, To: c.Target, Value: new(big.Int), Data: data, Operation: safe.Call,
		SafeTxGas: new(big.Int), BaseGas: new(big.Int), GasPrice: new(big.Int), Nonce: new(big.Int)}
	if tx.Hash().Hex() != v.SafeTxHash {
		t.Fatalf("the test's SafeTx hashes to %s, the proposal's is %s", tx.Hash().Hex(), v.SafeTxHash)
	}
	sigs := map[common.Address][]byte{}
	for _, i := range []int{1, 2} {
		sigs[c.Owners[i]], _ = safe.Sign(c.OwnerKeys[i], tx.Hash())
	}
	res, err := c.Client.Exec(context.Background(), tx, sigs, c.OwnerKeys[2])
	if err != nil {
		t.Fatal(err)
	}
	h := res.TxHash.Hex()

	before := eventCount(t, alice)
	_, errs, code := tminus(t, alice, "safe", "exec", id[:8], "--rpc", c.RPC, "--tx", h)
	if code == 0 || !strings.Contains(errs, "only 1 of 2 owner signatures are recorded") || eventCount(t, alice) != before {
		t.Fatalf("exec --tx below the recorded threshold: exit %d:\n%s", code, errs)
	}
	cmds := regexp.MustCompile(`tminus (safe sign \S+ --signature 0x[0-9a-f]{130}) \(owner 0x`).FindAllStringSubmatch(errs, -1)
	if len(cmds) != 2 {
		t.Fatalf("want the 2 signatures the transaction carried as commands:\n%s", errs)
	}
	for _, cmd := range cmds {
		must(t, alice, strings.Fields(cmd[1])...)
	}
	out := checkedJSON(t, alice, "safe", "exec", id[:8], "--rpc", c.RPC, "--tx", h)
	if !strings.Contains(out, h) {
		t.Fatalf("exec --tx: %s", out)
	}
	var shown struct {
		Confirmations string `json:"confirmations"`
		Exec          *struct {
			From  string `json:"from"`
			Event string `json:"event"`
		} `json:"exec"`
	}
	json.Unmarshal([]byte(must(t, alice, "safe", "show", id[:8], "--json")), &shown)
	if shown.Confirmations != "3" || shown.Exec == nil || shown.Exec.From != c.Owners[2].Hex() || shown.Exec.Event != "ExecutionSuccess" {
		t.Fatalf("after exec --tx: %+v %+v", shown, shown.Exec)
	}
}

package onchain

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
)

// The built-in ABI subset matches Safe v1.4.1's artifact: same selectors,
// same event ids and the same indexed inputs.
func TestSafeABIMatchesArtifact(t *testing.T) {
	raw, err := os.ReadFile("safedeploy/artifacts/Safe.json")
	if err != nil {
		t.Fatal(err)
	}
	var art struct{ ABI json.RawMessage }
	if err := json.Unmarshal(raw, &art); err != nil {
		t.Fatal(err)
	}
	full, err := abi.JSON(bytesReader(art.ABI))
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range safeABI.Methods {
		fm, ok := full.Methods[name]
		if !ok || fm.Sig != m.Sig || string(fm.ID) != string(m.ID) || len(fm.Outputs) != len(m.Outputs) {
			t.Errorf("method %s: built-in %s, artifact %s", name, m.Sig, fm.Sig)
		}
		for i := range m.Outputs {
			if fm.Outputs[i].Type.String() != m.Outputs[i].Type.String() {
				t.Errorf("method %s output %d: %s vs %s", name, i, m.Outputs[i].Type, fm.Outputs[i].Type)
			}
		}
	}
	for name, e := range safeABI.Events {
		fe, ok := full.Events[name]
		if !ok || fe.ID != e.ID || len(fe.Inputs) != len(e.Inputs) {
			t.Fatalf("event %s differs from the artifact", name)
		}
		for i := range e.Inputs {
			if fe.Inputs[i].Indexed != e.Inputs[i].Indexed {
				t.Errorf("event %s input %d: indexed %v, artifact %v", name, i, e.Inputs[i].Indexed, fe.Inputs[i].Indexed)
			}
		}
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

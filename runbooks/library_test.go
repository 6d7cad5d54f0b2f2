package runbooks

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// samples holds a valid value for every parameter the embedded runbooks declare; a new
// default runbook with a new parameter fails TestEmbeddedRunbooksRender until it has one.
var samples = map[string]string{
	"contract":     "0x6B175474E89094C44Da98b954EedeAC495271d0F",
	"rpc":          "mainnet",
	"signer":       "--ledger",
	"safe":         "0x5aFE3855358E112B5647B952709E6165e1c1eEEe",
	"chain_id":     "1",
	"threshold":    "4",
	"safe_tx_hash": "0x" + strings.Repeat("ab", 32),
	"owners":       "0xBBBB000000000000000000000000000000000002,0xaaaa000000000000000000000000000000000001",
	"host":         "signer-1.prod.example.org",
	"admin_cidr":   "10.20.0.0/24",
	"namespace":    "payments",
	"pod":          "relayer-7d9f8c6b5-x2kqp",
	"record":       "app.example.org",
	"zone_id":      strings.Repeat("0f", 16),
	"record_id":    strings.Repeat("a1", 16),
	"target":       "192.0.2.10",
	"since":        "-6h",
	"block":        "19000000",
	"slot":         "0",
	"token":        "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
	"severity":     "P1",
	"incident":     "3fa9c1",
	"title":        "Oracle deviation 40% on ETH/USD, lending pool draining",
	"room":         "#inc-3fa9c1",
	"scope":        "borrowing on the lending market",
	"next_update":  "14:30",
}

func paramsFor(t *testing.T, rb *Runbook) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range rb.Params {
		v, ok := samples[p.Name]
		if !ok {
			t.Fatalf("%s: no sample value for param %s; add one to samples", rb.ID, p.Name)
		}
		out[p.Name] = v
	}
	return out
}

func loadEmbedded(t *testing.T) *Library {
	t.Helper()
	lib, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func TestEmbeddedLibrary(t *testing.T) {
	lib := loadEmbedded(t)
	var ids []string
	for _, rb := range lib.List() {
		ids = append(ids, rb.ID)
		if !strings.HasPrefix(rb.Source, EmbeddedPrefix+"library/"+rb.ID+".md") {
			t.Errorf("%s: source %q does not name its own file", rb.ID, rb.Source)
		}
	}
	want := []string{"comms-kickoff", "contract-pause", "dns-reroute", "evidence-chain-state", "evidence-logs",
		"evidence-process-list", "host-quarantine", "pod-quarantine", "safe-freeze"}
	if !slices.Equal(ids, want) {
		t.Fatalf("embedded ids (sorted) = %v, want %v", ids, want)
	}
	for _, id := range []string{"contract-pause", "safe-freeze", "host-quarantine", "pod-quarantine", "dns-reroute"} {
		rb, _ := lib.Get(id)
		if rb.Risk != RiskHigh || rb.Quorum < 2 || !slices.Contains(rb.Approvers, "containment") {
			t.Errorf("%s changes things: want risk high, quorum >= 2, containment among approvers; got %s %d %v",
				id, rb.Risk, rb.Quorum, rb.Approvers)
		}
	}
	for _, id := range []string{"evidence-logs", "evidence-chain-state", "evidence-process-list", "comms-kickoff"} {
		if rb, _ := lib.Get(id); rb.Risk != RiskLow {
			t.Errorf("%s only reads or prints: want risk low, got %s", id, rb.Risk)
		}
	}
	if _, ok := lib.Get("nope"); ok {
		t.Error("Get found a runbook that does not exist")
	}
}

// TestEmbeddedRunbooksRender renders every step with valid values and has sh check the
// result's syntax without running it.
func TestEmbeddedRunbooksRender(t *testing.T) {
	for _, rb := range loadEmbedded(t).List() {
		params := paramsFor(t, rb)
		for _, st := range rb.Steps {
			cmd, err := rb.Render(st.Number, params)
			if err != nil {
				t.Errorf("%s step %d: %v", rb.ID, st.Number, err)
				continue
			}
			if out, err := exec.Command("/bin/sh", "-n", "-c", cmd).CombinedOutput(); err != nil {
				t.Errorf("%s step %d: sh -n: %v %s\n%s", rb.ID, st.Number, err, out, cmd)
			}
		}
	}
}

func TestForSeverity(t *testing.T) {
	lib := loadEmbedded(t)
	p3 := lib.ForSeverity("P3")
	for _, rb := range p3 {
		if !rb.AppliesTo("P3") {
			t.Errorf("%s listed for P3 but does not apply", rb.ID)
		}
	}
	if rb, _ := lib.Get("contract-pause"); slices.Contains(p3, rb) {
		t.Error("contract-pause is for P1/P2 only, listed for P3")
	}
	if len(lib.ForSeverity("P1")) != len(lib.List()) {
		t.Error("every default runbook should apply to a P1")
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const localQuarantine = "---\nid: host-quarantine\ntitle: Our own quarantine\nrisk: high\nquorum: 3\n" +
	"approvers: [containment]\nparams:\n  host:\n    description: h\n    pattern: '^[a-z0-9.-]+$'\n---\n" +
	"1. Isolate through the cloud API\n   ```sh\n   ourctl isolate {{host}}\n   ```\n"

func TestLoadDirectory(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"quarantine.md": localQuarantine,
		"extra.md":      strings.Replace(localQuarantine, "id: host-quarantine", "id: ours", 1),
		"README.md":     "# Our runbooks\n\nNot a runbook, and that is fine.\n",
		"notes.txt":     "ignored",
	})
	lib, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	rb, ok := lib.Get("host-quarantine")
	if !ok || rb.Title != "Our own quarantine" || rb.Quorum != 3 {
		t.Fatalf("directory file did not override the embedded runbook: %+v", rb)
	}
	if rb.Source != filepath.Join(dir, "quarantine.md") {
		t.Errorf("source = %q, want the file path", rb.Source)
	}
	if _, ok := lib.Get("ours"); !ok {
		t.Error("a new runbook from the directory is missing")
	}
	if _, ok := lib.Get("contract-pause"); !ok {
		t.Error("embedded runbooks vanished when a directory was added")
	}
}

func TestLoadDirectoryErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"duplicate ids", map[string]string{"a.md": localQuarantine, "b.md": localQuarantine},
			[]string{"b.md: id host-quarantine is already used by", "a.md"}},
		{"broken files all reported", map[string]string{
			"a.md": strings.Replace(localQuarantine, "'^[a-z0-9.-]+$'", "'[a-z]+'", 1),
			"b.md": strings.Replace(localQuarantine, "quorum: 3", "quorum: many", 1),
		}, []string{"a.md:10: param host: pattern [a-z]+ must start with ^", "b.md:5: quorum must be a positive integer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib, err := Load(writeFiles(t, tt.files))
			if err == nil {
				t.Fatalf("loaded %d runbooks, want an error", len(lib.List()))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\nwant it to contain %q", err, w)
				}
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing runbooks directory should be an error, not silently nothing")
	}
}

// stub is a stand-in for the tools the default runbooks call: it prints its name, each
// argument in brackets, then whatever arrives on its standard input.
const stub = "#!/bin/sh\nprintf '%s' \"${0##*/}\"\nfor a in \"$@\"; do printf ' [%s]' \"$a\"; done\necho\ncat\n"

// TestEmbeddedRunbooksRunAgainstStandIns runs every default step with cast, ssh, kubectl,
// curl and dig replaced by stubs, and checks the arguments the real tools would get.
func TestEmbeddedRunbooksRunAgainstStandIns(t *testing.T) {
	bin := t.TempDir()
	for _, tool := range []string{"cast", "ssh", "kubectl", "curl", "dig"} {
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "CLOUDFLARE_API_TOKEN=test-token")
	skip := map[string]string{"evidence-logs/1": "writes its archive under /var/tmp"}
	expect := map[string][]string{
		"contract-pause/2": {"cast [send] [0x6B175474E89094C44Da98b954EedeAC495271d0F] [pause()] [--rpc-url] [mainnet] [--ledger]"},
		"safe-freeze/4": {"[0x" +
			"000000000000000000000000aaaa000000000000000000000000000000000001" + strings.Repeat("0", 64) + "01" +
			"000000000000000000000000bbbb000000000000000000000000000000000002" + strings.Repeat("0", 64) + "01]"},
		"host-quarantine/2": {"ssh [-o] [BatchMode=yes]", "[sudo] [-n] [nft] [-f] [-]",
			"ip saddr 10.20.0.0/24 tcp dport 22 accept;", "policy drop;"},
		"pod-quarantine/3": {`kubectl [apply] [-n] [payments] [-f] [-]`, `"podSelector":{"matchLabels":{"tminus.io/quarantine":"true"}}`},
		"pod-quarantine/5": {"kubectl [cordon] [kubectl [get] [pod] [-n] [payments] [relayer-7d9f8c6b5-x2kqp] [-o] [jsonpath={.spec.nodeName}]"},
		"dns-reroute/3": {"[Authorization: Bearer test-token]",
			"[https://api.cloudflare.com/client/v4/zones/" + samples["zone_id"] + "/dns_records/" + samples["record_id"] + "]",
			`[{"content":"192.0.2.10","ttl":60}]`},
		"comms-kickoff/1": {"[P1] INCIDENT 3fa9c1 DECLARED: Oracle deviation 40% on ETH/USD, lending pool draining\nJoin: #inc-3fa9c1\n"},
	}
	for _, rb := range loadEmbedded(t).List() {
		params := paramsFor(t, rb)
		for _, st := range rb.Steps {
			key := rb.ID + "/" + strconv.Itoa(st.Number)
			if _, ok := skip[key]; ok {
				continue
			}
			cmd, err := rb.Render(st.Number, params)
			if err != nil {
				t.Fatal(err)
			}
			res := Exec(context.Background(), cmd, ExecOptions{Env: env, Dir: t.TempDir(), Timeout: 10 * time.Second})
			if res.ExitCode != 0 || res.Err != nil {
				t.Errorf("%s: exit %d, %v\n%s\n%s", key, res.ExitCode, res.Err, cmd, res.Output)
				continue
			}
			for _, want := range expect[key] {
				if !strings.Contains(string(res.Output), want) {
					t.Errorf("%s: output lacks %q\n%s", key, want, res.Output)
				}
			}
		}
	}
}

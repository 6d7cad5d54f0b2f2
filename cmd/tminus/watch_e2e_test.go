package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/workspace"

	"github.com/tminus-ir/tminus/watch"
	"github.com/tminus-ir/tminus/watch/watchtest"
)

// A severity map serve cannot use stops it at startup with the reason and
// the file to fix, with or without --webhook, instead of a webhook that
// answers 500 to every alert.
func TestServeRefusesBadSeverityMap(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"with webhook", []string{"--webhook", "127.0.0.1:0"}},
		{"watchers only", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home, _ := newWorkspace(t)
			setConfig(t, home, func(c *workspace.Config) { c.Severities = map[string]string{"critical": "P1", "warning": "P0"} })
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out, errb bytes.Buffer
			args := append([]string{"--home", home, "serve", "--listen", "127.0.0.1:0"}, tc.args...)
			code := run(ctx, args, strings.NewReader(""), &out, &errb)
			if ctx.Err() != nil {
				t.Fatal("serve ran until the test's deadline instead of refusing its config")
			}
			last := lastLine(errb.String())
			for _, want := range []string{"tminus: ", filepath.Join(home, "config.yaml"), "severities", `"warning" -> "P0"`, "want one of P1, P2, P3, P4"} {
				if !strings.Contains(last, want) {
					t.Errorf("stderr %q does not say %q", last, want)
				}
			}
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
		})
	}
}

// serveRefused runs serve on home in process, expecting it to refuse to
// start, and returns its exit code and the last line of its stderr.
func serveRefused(t *testing.T, home string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"--home", home, "serve", "--listen", "127.0.0.1:0"}, strings.NewReader(""), &out, &errb)
	if ctx.Err() != nil {
		t.Fatal("serve ran until the test's deadline instead of refusing its config")
	}
	return code, lastLine(errb.String())
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func setConfig(t *testing.T, home string, edit func(*workspace.Config)) {
	t.Helper()
	h := &workspace.Home{Dir: home}
	c, err := h.Config()
	if err != nil {
		t.Fatal(err)
	}
	edit(c)
	if err := h.SaveConfig(c); err != nil {
		t.Fatal(err)
	}
}

// TestWatchEndToEnd runs the real binary's serve: an Alertmanager payload
// posted as Alertmanager posts it, and a Paused event on go-ethereum's
// simulated chain reached over HTTP JSON-RPC, each read back with
// `tminus alert list --json`.
func TestWatchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin := binary(t)
	t.Run("alertmanager webhook", func(t *testing.T) { testAlertmanagerE2E(t, bin) })
	t.Run("paused on the simulated chain", func(t *testing.T) { testChainE2E(t, bin) })
	t.Run("a watcher on the wrong chain raises an alert", func(t *testing.T) { testWatcherDownE2E(t, bin) })
}

// A watcher whose endpoint serves another chain stops; every responder sees
// that as an alert, not only this serve's stderr.
func testWatcherDownE2E(t *testing.T, bin string) {
	chain := watchtest.NewChain(t, true)
	e := newServeE2E(t, bin)
	setConfig(t, e.home, func(c *workspace.Config) {
		c.Watchers = []workspace.WatcherConfig{{Name: "bridge", RPC: chain.RPCURL, ChainID: watchtest.ChainID + 1, Poll: 50 * time.Millisecond,
			Rules: []workspace.WatcherRule{{Name: "bridge paused", Event: "Paused", Severity: "P1", Addresses: []string{chain.Contract.Hex()}}}}}
	})
	e.serve()
	a := e.waitAlert(e.watcherFP("bridge"), 10*time.Second, func(a alertView) bool { return a.Status == "firing" })
	if a.Severity != "P2" || a.Source != "tminus" || !strings.Contains(a.Title, "Watcher bridge (alice) stopped") || !strings.Contains(a.Title, "configured for chain") {
		t.Errorf("watcher-down alert %+v", a)
	}
}

// amFiring is a notification as Alertmanager 0.28 posts it to a webhook
// receiver (notify/webhook: the template data plus version, groupKey and
// truncatedAlerts), for a group of two firing alerts.
const amFiring = `{"receiver":"tminus","status":"firing","alerts":[` +
	`{"status":"firing","labels":{"alertname":"HighErrorRate","chain":"ethereum","instance":"api-1.prod:9090","job":"api","service":"bridge-api","severity":"critical"},` +
	`"annotations":{"description":"5xx ratio on bridge-api has been above 5% for 10 minutes.","runbook_url":"https://runbooks.example.org/bridge-api/high-error-rate","summary":"bridge-api is failing 12% of requests"},` +
	`"startsAt":"2025-03-14T09:26:53.589Z","endsAt":"0001-01-01T00:00:00Z",` +
	`"generatorURL":"http://prometheus-0:9090/graph?g0.expr=sum+by%28service%29+%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29+%3E+0.05\u0026g0.tab=1",` +
	`"fingerprint":"bb99f42553862d2c"},` +
	`{"status":"firing","labels":{"alertname":"OracleStale","chain":"ethereum","instance":"oracle-2.prod:9100","job":"oracle","service":"price-oracle","severity":"warning"},` +
	`"annotations":{"description":"No price update for 180s."},` +
	`"startsAt":"2025-03-14T09:01:23.009Z","endsAt":"0001-01-01T00:00:00Z",` +
	`"generatorURL":"http://prometheus-0:9090/graph?g0.expr=time%28%29+-+oracle_last_update_timestamp_seconds+%3E+120\u0026g0.tab=1",` +
	`"fingerprint":"7046fd6cff91730f"}],` +
	`"groupLabels":{"chain":"ethereum"},"commonLabels":{"chain":"ethereum"},"commonAnnotations":{},` +
	`"externalURL":"http://alertmanager-0:9093","version":"4","groupKey":"{}/{severity=~\"critical|warning\"}:{chain=\"ethereum\"}","truncatedAlerts":0}`

// amResolved is the same group once both alerts resolved: Alertmanager sends
// the group again with status "resolved" and endsAt set.
var amResolved = strings.NewReplacer(
	`"status":"firing"`, `"status":"resolved"`,
	`"startsAt":"2025-03-14T09:26:53.589Z","endsAt":"0001-01-01T00:00:00Z"`, `"startsAt":"2025-03-14T09:26:53.589Z","endsAt":"2025-03-14T09:41:53.589Z"`,
	`"startsAt":"2025-03-14T09:01:23.009Z","endsAt":"0001-01-01T00:00:00Z"`, `"startsAt":"2025-03-14T09:01:23.009Z","endsAt":"2025-03-14T09:31:23.009Z"`,
).Replace(amFiring)

func testAlertmanagerE2E(t *testing.T, bin string) {
	e := newServeE2E(t, bin)
	// warning -> P2 is not the default (P3): the map comes from the config.
	setConfig(t, e.home, func(c *workspace.Config) { c.Severities = map[string]string{"critical": "P1", "warning": "P2"} })
	e.serve()

	start := time.Now()
	if r := e.postAlertmanager(amFiring); r["stored"] != 2 {
		t.Fatalf("first delivery answered %v, want 2 stored", r)
	}
	var alerts []alertView
	for {
		alerts = e.alerts()
		if len(alerts) == 2 || time.Since(start) > time.Second {
			break
		}
	}
	seen := time.Since(start)
	if len(alerts) != 2 {
		t.Fatalf("after %v alert list shows %d alerts, want 2", seen, len(alerts))
	}
	t.Logf("posted to listed in %v", seen)
	want := map[string][3]string{ // fingerprint -> title, severity, status
		"bb99f42553862d2c": {"bridge-api is failing 12% of requests", "P1", "firing"},
		"7046fd6cff91730f": {"OracleStale", "P2", "firing"},
	}
	e.checkAlerts(alerts, want)
	events := e.observations()

	// Alertmanager redelivers after a timeout: nothing new is stored.
	if r := e.postAlertmanager(amFiring); r["stored"] != 0 || r["duplicates"] != 2 {
		t.Errorf("redelivery answered %v, want 0 stored and 2 duplicates", r)
	}
	if n := e.observations(); n != events {
		t.Errorf("redelivery added %d alert.observe events", n-events)
	}
	e.checkAlerts(e.alerts(), want)

	if r := e.postAlertmanager(amResolved); r["stored"] != 2 {
		t.Fatalf("resolved delivery answered %v, want 2 stored", r)
	}
	want = map[string][3]string{
		"bb99f42553862d2c": {"bridge-api is failing 12% of requests", "P1", "resolved"},
		"7046fd6cff91730f": {"OracleStale", "P2", "resolved"},
	}
	e.checkAlerts(e.alerts(), want)
}

func testChainE2E(t *testing.T, bin string) {
	chain := watchtest.NewChain(t, true)
	e := newServeE2E(t, bin)
	setConfig(t, e.home, func(c *workspace.Config) {
		c.Watchers = []workspace.WatcherConfig{{Name: "bridge", RPC: chain.RPCURL, ChainID: watchtest.ChainID, Poll: 50 * time.Millisecond,
			Rules: []workspace.WatcherRule{{Name: "bridge paused", Event: "Paused", Severity: "P1", Addresses: []string{chain.Contract.Hex()}}}}}
	})
	e.serve()

	start := time.Now()
	r := chain.Call("pause")
	fp := strings.ToLower(r.TxHash.Hex()) + ":" + strconv.FormatUint(uint64(r.Logs[0].Index), 10)
	a := e.waitAlert(fp, 10*time.Second, func(a alertView) bool { return a.Status == "firing" })
	t.Logf("Paused mined to listed in %v", time.Since(start))
	if a.Severity != "P1" || a.Source != "chain" || a.Reorged || a.Labels["event"] != "Paused(address)" ||
		a.Labels["contract"] != strings.ToLower(chain.Contract.Hex()) || a.Labels["block"] != r.BlockNumber.String() {
		t.Errorf("alert %+v, want a P1 chain alert for Paused at block %s", a, r.BlockNumber)
	}

	// A reorg takes the Paused log out of the chain: the alert stays,
	// resolved and marked reorged.
	chain.ForkOut(r)
	a = e.waitAlert(fp, 10*time.Second, func(a alertView) bool { return a.Reorged })
	if a.Status != "resolved" || a.Labels["reorged"] != "true" || a.Severity != "P1" {
		t.Errorf("after the reorg: %+v, want the alert resolved and reorged", a)
	}
	if all := e.alerts(); len(all) != 1 {
		t.Errorf("alert list shows %d alerts after the reorg, want the one, kept", len(all))
	}
	var log bytes.Buffer
	for _, line := range strings.Split(e.cli("log", "--json"), "\n") {
		if strings.Contains(line, `"alert.observe"`) {
			log.WriteString(line + "\n")
		}
	}
	if n := strings.Count(log.String(), "\n"); n != 2 {
		t.Errorf("%d alert.observe events, want 2 (fired, reorged):\n%s", n, log.String())
	}
}

// serveE2E is one fresh home and, once serve is called, its serve process.
type serveE2E struct {
	t       *testing.T
	bin     string
	home    string
	env     []string
	webhook string
	stderr  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newServeE2E(t *testing.T, bin string) *serveE2E {
	t.Helper()
	dir := t.TempDir()
	e := &serveE2E{t: t, bin: bin, home: filepath.Join(dir, "home"), stderr: &lockedBuffer{},
		env: append(os.Environ(), "TMINUS_PASSPHRASE=pw", "TMPDIR="+dir)}
	e.cli("init", "--name", "acme", "--handle", "alice", "--light-kdf")
	return e
}

func (e *serveE2E) cli(args ...string) string {
	e.t.Helper()
	return runBinary(e.t, e.bin, e.env, e.home, args...)
}

// serve starts `tminus serve` with the webhook on a free loopback port and
// waits for /healthz; cleanup interrupts it (this process only, by its pid).
func (e *serveE2E) serve() {
	e.t.Helper()
	e.webhook = "127.0.0.1:" + strconv.Itoa(watchtest.FreePort(e.t))
	cmd := exec.Command(e.bin, "--home", e.home, "serve", "--listen", "127.0.0.1:0", "--webhook", e.webhook)
	cmd.Env, cmd.Stderr = e.env, e.stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	e.t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				e.t.Errorf("serve exited with %v after an interrupt:\n%s", err, e.stderr)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			e.t.Errorf("serve did not stop within 10s of an interrupt:\n%s", e.stderr)
		}
		if s := e.stderr.String(); strings.Contains(s, "watcher") && strings.Contains(s, "retry") {
			e.t.Logf("serve stderr:\n%s", s)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			e.t.Fatalf("serve exited early (%v):\n%s", err, e.stderr)
		default:
		}
		resp, err := http.Get("http://" + e.webhook + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("serve's webhook did not answer /healthz within 20s:\n%s", e.stderr)
}

// postAlertmanager posts body with the headers Alertmanager sends.
func (e *serveE2E) postAlertmanager(body string) map[string]int {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+e.webhook+"/alertmanager", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Alertmanager/0.28.1")
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("POST /alertmanager: %d %s", resp.StatusCode, data)
	}
	var r map[string]int
	if err := json.Unmarshal(data, &r); err != nil {
		e.t.Fatalf("POST /alertmanager answered %s: %v", data, err)
	}
	return r
}

func (e *serveE2E) alerts() []alertView {
	e.t.Helper()
	var out []alertView
	if err := json.Unmarshal([]byte(e.cli("alert", "list", "--json")), &out); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// observations counts the alert.observe events in the log.
func (e *serveE2E) observations() int {
	return strings.Count(e.cli("log", "--json"), `"kind":"alert.observe"`)
}

func (e *serveE2E) checkAlerts(alerts []alertView, want map[string][3]string) {
	e.t.Helper()
	if len(alerts) != len(want) {
		e.t.Errorf("alert list shows %d alerts, want %d", len(alerts), len(want))
	}
	for _, a := range alerts {
		w, ok := want[a.Fingerprint]
		if !ok {
			e.t.Errorf("unexpected alert %+v", a)
			continue
		}
		if got := [3]string{a.Title, a.Severity, a.Status}; got != w {
			e.t.Errorf("alert %s: title, severity, status %q, want %q", a.Fingerprint, got, w)
		}
		if a.Source != watch.SourceAlertmanager || len(a.Observers) != 1 || a.Labels["chain"] != "ethereum" {
			e.t.Errorf("alert %s: source %q, observers %v, labels %v", a.Fingerprint, a.Source, a.Observers, a.Labels)
		}
	}
}

// waitAlert polls alert list until the alert with fingerprint fp satisfies ok.
// watcherFP is the fingerprint of the alert this home's watcher name raises
// about itself: its name and this device's address.
func (e *serveE2E) watcherFP(name string) string {
	e.t.Helper()
	var id struct{ Address string }
	if err := json.Unmarshal([]byte(e.cli("id", "--json")), &id); err != nil {
		e.t.Fatal(err)
	}
	return "tminus-watcher-" + name + "@" + strings.ToLower(id.Address)
}

func (e *serveE2E) waitAlert(fp string, within time.Duration, ok func(alertView) bool) alertView {
	e.t.Helper()
	deadline := time.Now().Add(within)
	var last []alertView
	for time.Now().Before(deadline) {
		last = e.alerts()
		for _, a := range last {
			if a.Fingerprint == fp && ok(a) {
				return a
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("after %v no alert %s in the wanted state; alert list: %+v\nserve stderr:\n%s", within, fp, last, e.stderr)
	return alertView{}
}

// BenchmarkWebhookStore is BenchmarkWebhookIngest (watch/) with the sink
// serve uses: every alert signed as an alert.observe and written to the
// SQLite store before the answer. It reports alerts stored per second and
// the p99 request latency, over loopback, one request at a time.
func BenchmarkWebhookStore(b *testing.B) {
	for _, perRequest := range []int{1, 100} {
		b.Run(strconv.Itoa(perRequest)+"_per_request", func(b *testing.B) {
			b.Setenv("TMINUS_PASSPHRASE", "pw")
			home := filepath.Join(b.TempDir(), "home")
			var errb bytes.Buffer
			if code := run(context.Background(), []string{"--home", home, "init", "--name", "acme", "--handle", "alice", "--light-kdf"},
				strings.NewReader(""), io.Discard, &errb); code != 0 {
				b.Fatalf("init: %s", errb.String())
			}
			a := &app{home: &workspace.Home{Dir: home}, stdout: io.Discard, stderr: io.Discard}
			defer a.home.Close()
			sink, err := a.sink(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(watch.NewHandler(sink, watch.HandlerOptions{}))
			defer srv.Close()
			client, url := srv.Client(), srv.URL+"/alertmanager"
			var body bytes.Buffer
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				benchPayload(&body, i, perRequest)
				t0 := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(body.Bytes()))
				if err != nil {
					b.Fatal(err)
				}
				reply, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d: %s", resp.StatusCode, reply)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N*perRequest)/b.Elapsed().Seconds(), "alerts/s")
			b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99_ms")
		})
	}
}

// benchPayload writes an Alertmanager notification of n firing alerts, each
// with its own fingerprint so that every one is stored.
func benchPayload(buf *bytes.Buffer, seq, n int) {
	buf.Reset()
	buf.WriteString(`{"receiver":"tminus","status":"firing","alerts":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(buf, `{"status":"firing","labels":{"alertname":"HighErrorRate","instance":"api-%d.prod:9090","job":"api","service":"bridge-api","severity":"critical"},`+
			`"annotations":{"summary":"bridge-api is failing 12%% of requests"},"startsAt":"2025-03-14T09:26:53.589Z","endsAt":"0001-01-01T00:00:00Z",`+
			`"generatorURL":"http://prometheus-0:9090/graph?g0.expr=up","fingerprint":"%016x"}`, i, seq*n+i)
	}
	buf.WriteString(`],"groupLabels":{},"commonLabels":{"job":"api"},"commonAnnotations":{},"externalURL":"http://alertmanager-0:9093",` +
		`"version":"4","groupKey":"{}:{}","truncatedAlerts":0}`)
}

// A misspelt key in a watcher rule (adresses:) used to leave the rule
// without addresses, matching every contract; serve now refuses to start and
// names the line.
func TestServeRefusesMisspeltWatcherKey(t *testing.T) {
	home, _ := newWorkspace(t)
	path := filepath.Join(home, "config.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte(`watchers:
  - name: mainnet
    rpc: http://127.0.0.1:1
    chain_id: 1
    rules:
      - name: vault-outflow
        event: Transfer(address,address,uint256)
        severity: P1
        adresses: ["0x5E4e65926BA27467555EB562121fac00D24E9dD2"]
`)...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, last := serveRefused(t, home)
	if code != 1 || !strings.Contains(last, `watcher rule has no key "adresses"`) || !strings.Contains(last, path+": line ") {
		t.Errorf("exit %d, stderr %q", code, last)
	}
	// Commands that do not start watchers keep working.
	must(t, home, "incident", "list")
}

package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/workspace"
)

// --webhook-token puts the token in serve's command line, which every local
// user reads in ps or /proc/PID/cmdline. TMINUS_WEBHOOK_TOKEN gives it
// without that; the flag still wins when both are set.
func TestWebhookTokenFromEnvironment(t *testing.T) {
	home, _ := newWorkspace(t)
	t.Setenv("TMINUS_WEBHOOK_TOKEN", "from-env")
	for _, tc := range []struct {
		name, flag string
		accepted   string // the token a request must carry
	}{
		{"environment", "", "from-env"},
		{"the flag wins", "from-flag", "from-flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			a := &app{home: &workspace.Home{Dir: home}, stdin: strings.NewReader(""), stdout: &errb, stderr: &errb}
			defer a.home.Close()
			srv, err := a.webhookServer(context.Background(), "127.0.0.1:0", tc.flag)
			if err != nil {
				t.Fatal(err)
			}
			for _, token := range []string{"", "from-env", "from-flag"} {
				req := httptest.NewRequest(http.MethodPost, "/alert", strings.NewReader(`{"title":"t-`+tc.name+`-`+token+`"}`))
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				rec := httptest.NewRecorder()
				srv.Handler.ServeHTTP(rec, req)
				want := http.StatusUnauthorized
				if token == tc.accepted {
					want = http.StatusOK
				}
				if rec.Code != want {
					t.Errorf("token %q: %d %s, want %d", token, rec.Code, rec.Body, want)
				}
			}
		})
	}
}

// A webhook on an address beyond loopback without a token lets anyone who
// reaches it raise alerts in the workspace, signed by this member: serve
// says so at startup. On loopback, or with a token, it says nothing.
func TestWebhookWithoutTokenBeyondLoopbackWarns(t *testing.T) {
	home, _ := newWorkspace(t)
	t.Setenv("TMINUS_WEBHOOK_TOKEN", "")
	for _, tc := range []struct {
		addr, token string
		warn        bool
	}{
		{"0.0.0.0:9093", "", true},
		{":9093", "", true},
		{"10.1.2.3:9093", "", true},
		{"0.0.0.0:9093", "s3cret", false},
		{"127.0.0.1:9093", "", false},
		{"[::1]:9093", "", false},
		{"localhost:9093", "", false},
	} {
		var errb bytes.Buffer
		a := &app{home: &workspace.Home{Dir: home}, stdin: strings.NewReader(""), stdout: &errb, stderr: &errb}
		if _, err := a.webhookServer(context.Background(), tc.addr, tc.token); err != nil {
			t.Fatal(err)
		}
		a.home.Close()
		said := strings.Contains(errb.String(), "has no token") && strings.Contains(errb.String(), "TMINUS_WEBHOOK_TOKEN")
		if said != tc.warn {
			t.Errorf("%s token %q: stderr %q, want a warning: %v", tc.addr, tc.token, errb.String(), tc.warn)
		}
	}
}

package chaintest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FakeRPC serves, on 127.0.0.1 until the test ends, a node that answers
// every JSON-RPC request with answer(method), "ID" in it replaced by the
// request's id: a node that lies about its chain, or speaks no JSON-RPC.
// It returns the node's URL.
func FakeRPC(t testing.TB, answer func(method string) string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, strings.ReplaceAll(answer(req.Method), "ID", string(req.ID)))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Result is a JSON-RPC answer carrying result, for FakeRPC.
func Result(result string) string {
	return `{"jsonrpc":"2.0","id":ID,"result":` + result + `}`
}

package watch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNewServerSetsLimits(t *testing.T) {
	srv := NewServer("127.0.0.1:0", http.NotFoundHandler())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 ||
		srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Fatalf("a limit is unset: %+v", srv)
	}
	if srv.ReadHeaderTimeout > 10*time.Second || srv.WriteTimeout < srv.ReadTimeout {
		t.Errorf("header timeout %v too lax, or write timeout %v shorter than read timeout %v",
			srv.ReadHeaderTimeout, srv.WriteTimeout, srv.ReadTimeout)
	}
}

// startServer runs NewServer on a loopback port with timeouts shortened so
// the test is quick; the mechanism is the same as with the defaults.
func startServer(t *testing.T, sink Sink) string {
	t.Helper()
	srv := NewServer("127.0.0.1:0", NewHandler(sink, HandlerOptions{}))
	srv.ReadHeaderTimeout = 200 * time.Millisecond
	srv.ReadTimeout = 400 * time.Millisecond
	srv.MaxHeaderBytes = 4 << 10
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// A slow-loris client trickles header lines to hold a connection forever;
// the server must hang up once ReadHeaderTimeout has passed.
func TestServerCutsOffSlowHeaders(t *testing.T) {
	addr := startServer(t, &recordingSink{})
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /alert HTTP/1.1\r\nHost: %s\r\n", addr)
	go func() {
		for i := 0; ; i++ {
			time.Sleep(50 * time.Millisecond)
			if _, err := fmt.Fprintf(conn, "X-Slow-%d: drip\r\n", i); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadAll(conn) // returns when the server closes
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("server still holding a slow-header connection after 5s")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("slow client cut off after %v, want about 200ms", took)
	}
}

// A client that sends headers promptly and then the body slowly is cut off
// by ReadTimeout; the handler answers 408 and stores nothing.
func TestServerCutsOffSlowBody(t *testing.T) {
	sink := &recordingSink{}
	addr := startServer(t, sink)
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /alert HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"title\":", addr)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("got %d, want 408", resp.StatusCode)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("stalled body cut off after %v, want about 400ms", took)
	}
	if calls, _ := sink.stored(); calls != 0 {
		t.Error("a half-sent body reached the sink")
	}
}

func TestServerRefusesHugeHeaders(t *testing.T) {
	addr := startServer(t, &recordingSink{})
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/alert", strings.NewReader(`{"title":"x"}`))
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("got %d, want 431", resp.StatusCode)
	}
}

func TestServerServesPromptClients(t *testing.T) {
	sink := &recordingSink{}
	addr := startServer(t, sink)
	r := post(t, "http://"+addr+"/alertmanager", "", string(readFixture(t, "alertmanager.json")))
	if s, _ := r.stored(); r.code != 200 || s != 2 {
		t.Fatalf("got %d %v", r.code, r.body)
	}
}

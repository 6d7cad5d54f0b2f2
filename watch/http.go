package watch

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits from CLI.md. 10,000 minimal generic alerts fit in 1 MiB; realistic
// Alertmanager alerts (450-650 bytes each, measured on testdata and the
// benchmark's payload) reach the byte limit first, at about 2,000 per body,
// well above the group sizes Alertmanager usually sends.
const (
	defaultMaxBody   = 1 << 20
	defaultMaxAlerts = 10000
)

// HandlerOptions configures NewHandler. Zero values mean the defaults.
type HandlerOptions struct {
	// Token, when set, must arrive as "Authorization: Bearer <Token>".
	Token string
	// SeverityMap maps a severity label or field to P1..P4; nil means
	// DefaultSeverityMap. Check it at startup with CheckSeverityMap.
	SeverityMap map[string]string
	// MaxBody is the largest body read, in bytes (default 1 MiB).
	MaxBody int64
	// MaxAlerts is the most alerts accepted in one body (default 10,000);
	// more is refused with 413 rather than stored in part.
	MaxAlerts int
	// DedupeWindow is how long a repeat of the (startsAt, status) last
	// stored for a fingerprint is not forwarded again (default 1h);
	// DedupeSize bounds how many fingerprints are remembered (default
	// 65,536).
	DedupeWindow time.Duration
	DedupeSize   int
	// Now is the clock for the dedupe window; nil means time.Now.
	Now func() time.Time
	// Log, when set, receives a line for each alert accepted with a
	// warning (a severity the map does not know) and each refused one.
	Log io.Writer
}

// CheckSeverityMap reports a severity map NewHandler cannot use, so that a
// command can refuse its config at startup instead of on the first alert.
func CheckSeverityMap(m map[string]string) error {
	_, err := normalizeSeverityMap(m)
	return err
}

type decoder func(body []byte, severities map[string]string) (Delivery, error)

type handler struct {
	sink      Sink
	opts      HandlerOptions
	tokenHash [sha256.Size]byte
	sev       map[string]string
	configErr error
	seen      *deliveries
}

// NewHandler serves the alert webhook: POST /alertmanager (Alertmanager's
// version "4" payload), POST /alert (the generic object or array) and GET
// /healthz. A POST answers 200 {"stored":N,"duplicates":M} only after
// sink.Observe returned nil for the N new alerts; M are redeliveries of
// alerts stored within the dedupe window, which are not sent again.
//
// Alerts are judged one by one: an alert that is malformed, or that a
// Checker sink refuses, is refused alone and the others of its delivery
// are stored, since Alertmanager does not retry a 4xx and refusing the
// group lost them. The answer is then 400 {"stored","duplicates",
// "refused":[{"index","fingerprint","reason"}],"error"}. Warnings (an
// Alertmanager severity the map does not know, stored without a severity)
// come as "warnings" and go to Log.
//
// Refusals of the whole request carry {"error":reason}: 400 for a body
// wrong as a whole (not JSON, the wrong shape or version), 401 without the
// token, 405 for a wrong method, 408 for a body too slow to arrive, 413 over
// MaxBody or MaxAlerts, 500 or 503 when the sink fails (worth retrying),
// other than with ErrRefused, which is 400 too. An invalid SeverityMap
// makes every request 500.
func NewHandler(sink Sink, opts HandlerOptions) http.Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = defaultMaxBody
	}
	if opts.MaxAlerts <= 0 {
		opts.MaxAlerts = defaultMaxAlerts
	}
	if opts.DedupeWindow <= 0 {
		opts.DedupeWindow = defaultDedupeWindow
	}
	if opts.DedupeSize <= 0 {
		opts.DedupeSize = defaultDedupeSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &handler{sink: sink, opts: opts, seen: newDeliveries(opts.DedupeSize, opts.DedupeWindow)}
	h.sev, h.configErr = normalizeSeverityMap(opts.SeverityMap)
	// Comparing hashes keeps the comparison constant-time in the length too.
	h.tokenHash = sha256.Sum256([]byte(opts.Token))
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/alertmanager":
		h.ingest(w, r, decodeAlertmanager)
	case "/alert":
		h.ingest(w, r, decodeGeneric)
	case "/healthz":
		h.health(w, r)
	default:
		writeError(w, http.StatusNotFound, "no such endpoint; try POST /alertmanager, POST /alert or GET /healthz")
	}
}

func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, r.Method+" not allowed here; use GET")
		return
	}
	if h.configErr != nil {
		writeError(w, http.StatusServiceUnavailable, h.configErr.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (h *handler) ingest(w http.ResponseWriter, r *http.Request, decode decoder) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, r.Method+" not allowed here; use POST with a JSON body")
		return
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tminus"`)
		h.refuse(w, r, http.StatusUnauthorized, "missing or wrong bearer token (send Authorization: Bearer <webhook token>)")
		return
	}
	if h.configErr != nil {
		h.refuse(w, r, http.StatusInternalServerError, h.configErr.Error())
		return
	}
	if r.ContentLength > h.opts.MaxBody {
		h.refuse(w, r, http.StatusRequestEntityTooLarge, h.tooLarge())
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBody))
	if err != nil {
		code, msg := readProblem(err)
		if code == http.StatusRequestEntityTooLarge {
			msg = h.tooLarge()
		}
		h.refuse(w, r, code, msg)
		return
	}
	d, err := decode(body, h.sev)
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if d.Total > h.opts.MaxAlerts {
		h.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"%d alerts in one body, at most %d are accepted (split the batch; from Alertmanager, set max_alerts in its webhook_config); none were stored",
			d.Total, h.opts.MaxAlerts))
		return
	}
	alerts := h.check(&d)
	for i := range alerts {
		alerts[i].Payload = body
	}
	fresh := h.seen.fresh(alerts, h.opts.Now())
	if len(fresh) > 0 {
		if err := h.sink.Observe(r.Context(), fresh); err != nil {
			code := http.StatusInternalServerError
			switch {
			case errors.Is(err, ErrRefused):
				h.refuse(w, r, http.StatusBadRequest, err.Error()+"; none were stored (retrying cannot help: change the alert at its source)")
				return
			case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
				code = http.StatusServiceUnavailable
			}
			h.refuse(w, r, code, "storing alerts failed, nothing acknowledged (retry): "+err.Error())
			return
		}
		h.seen.stored(fresh, h.opts.Now())
	}
	h.log(r.URL.Path, d)
	reply := map[string]any{"stored": len(fresh), "duplicates": len(alerts) - len(fresh)}
	if len(d.Warnings) > 0 {
		reply["warnings"] = d.Warnings
	}
	if len(d.Refused) == 0 {
		writeJSON(w, http.StatusOK, reply)
		return
	}
	first := d.Refused[0]
	stored := "none were stored"
	if len(alerts) > 0 {
		stored = "the rest were stored"
	}
	reply["refused"] = d.Refused
	reply["error"] = fmt.Sprintf("alert %d of %d (fingerprint %s): %s; %d of %d refused, %s (retrying cannot help: change the refused alerts at their source)",
		first.Index+1, d.Total, quoteShort(first.Fingerprint), first.Reason, len(d.Refused), d.Total, stored)
	writeJSON(w, http.StatusBadRequest, reply)
}

// check moves the alerts a Checker sink could never store (a limit of the
// event each becomes) from d.Alerts to d.Refused, keeping body order, and
// returns the alerts left.
func (h *handler) check(d *Delivery) []Alert {
	c, ok := h.sink.(Checker)
	if !ok {
		return d.Alerts
	}
	// Map each decoded alert back to its place in the body.
	refusedAt := make(map[int]bool, len(d.Refused))
	for _, r := range d.Refused {
		refusedAt[r.Index] = true
	}
	var kept []Alert
	var refused []Refusal
	next := 0
	for i, a := range d.Alerts {
		for refusedAt[next] {
			next++
		}
		if err := c.Check(a); err != nil {
			refused = append(refused, Refusal{Index: next, Fingerprint: cutFingerprint(a.Fingerprint), Reason: err.Error(), err: err})
		} else {
			kept = append(kept, d.Alerts[i])
		}
		next++
	}
	if len(refused) > 0 {
		d.Refused = append(d.Refused, refused...)
		sort.Slice(d.Refused, func(i, j int) bool { return d.Refused[i].Index < d.Refused[j].Index })
	}
	d.Alerts = kept
	return kept
}

// A reason may repeat a sender's label name as it came: one line each, so
// a name with a newline cannot forge a line of the log.
var logLine = strings.NewReplacer("\n", `\n`, "\r", `\r`)

// refuse answers a delivery refused whole and says so in the log:
// Alertmanager logs only the status code and the URL, never the answer's
// body, and does not resend a 4xx, so the log is where the operator learns
// why a group never arrived.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, code int, reason string) {
	writeError(w, code, reason)
	if h.opts.Log != nil {
		fmt.Fprintf(h.opts.Log, "webhook %s: refused a delivery from %s (%d): %s\n", r.URL.Path, r.RemoteAddr, code,
			logLine.Replace(reason))
	}
}

// log writes a delivery's warnings and refusals for the operator:
// Alertmanager never reads the answer's body.
func (h *handler) log(path string, d Delivery) {
	if h.opts.Log == nil {
		return
	}
	for _, w := range d.Warnings {
		fmt.Fprintf(h.opts.Log, "webhook %s: warning: %s\n", path, logLine.Replace(w))
	}
	for _, r := range d.Refused {
		fmt.Fprintf(h.opts.Log, "webhook %s: refused alert %d of %d (fingerprint %s): %s\n", path, r.Index+1, d.Total,
			quoteShort(r.Fingerprint), logLine.Replace(r.Reason))
	}
}

func (h *handler) authorized(r *http.Request) bool {
	if h.opts.Token == "" {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], h.tokenHash[:]) == 1
}

// quoteShort quotes a sender's string for an error, cut to 64 bytes: a
// refusal names the alert without echoing a huge field back.
func quoteShort(s string) string {
	const max = 64
	if len(s) <= max {
		return strconv.Quote(s)
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strconv.Quote(s[:n]) + "..."
}

func (h *handler) tooLarge() string {
	return fmt.Sprintf("body over %d bytes (split the batch; from Alertmanager, set max_alerts in its webhook_config)", h.opts.MaxBody)
}

func readProblem(err error) (int, string) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge, ""
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return http.StatusRequestTimeout, "body arrived too slowly: " + err.Error()
	}
	return http.StatusBadRequest, "reading body: " + err.Error()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, reason string) {
	writeJSON(w, code, map[string]string{"error": reason})
}

// Server timeouts against slow clients (slow-loris): a client gets 5s to send
// its headers and 30s for a whole request (1 MiB at 35 KiB/s), and the
// response, including the sink's durable write, must be done 60s after the
// headers arrived.
const (
	serverReadHeaderTimeout = 5 * time.Second
	serverReadTimeout       = 30 * time.Second
	serverWriteTimeout      = 60 * time.Second
	serverIdleTimeout       = 2 * time.Minute
	serverMaxHeaderBytes    = 64 << 10
)

// NewServer wraps h in an http.Server whose timeouts and header limit keep
// slow or hostile clients from holding connections open.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: serverReadHeaderTimeout,
		ReadTimeout:       serverReadTimeout,
		WriteTimeout:      serverWriteTimeout,
		IdleTimeout:       serverIdleTimeout,
		MaxHeaderBytes:    serverMaxHeaderBytes,
	}
}

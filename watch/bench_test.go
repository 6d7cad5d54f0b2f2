package watch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// copySink does what a store does before its write: take a copy of each
// alert under a lock. It forgets them in chunks so memory stays flat.
type copySink struct {
	mu   sync.Mutex
	kept []Alert
	n    int
}

func (s *copySink) Observe(_ context.Context, alerts []Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.kept) > 100_000 {
		s.kept = s.kept[:0]
	}
	s.kept = append(s.kept, alerts...)
	s.n += len(alerts)
	return nil
}

// amBody writes an Alertmanager payload of n alerts shaped like the
// fixture's, made distinct by seq so dedupe forwards every one.
func amBody(buf *bytes.Buffer, seq, n int) {
	buf.Reset()
	buf.WriteString(`{"receiver":"tminus","status":"firing","alerts":[`)
	start := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Millisecond).Format(time.RFC3339Nano)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"status":"firing","labels":{"alertname":"HighErrorRate","chain":"ethereum","instance":"api-`)
		buf.WriteString(strconv.Itoa(i))
		buf.WriteString(`.prod:9090","job":"api","service":"bridge-api","severity":"critical"},` +
			`"annotations":{"summary":"bridge-api is failing 12% of requests","description":"5xx ratio above 5% for 10 minutes."},` +
			`"startsAt":"`)
		buf.WriteString(start)
		buf.WriteString(`","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus-0:9090/graph?g0.expr=up","fingerprint":""}`)
	}
	buf.WriteString(`],"groupLabels":{"chain":"ethereum"},"commonLabels":{"chain":"ethereum"},"commonAnnotations":{},` +
		`"externalURL":"http://alertmanager-0:9093","version":"4","groupKey":"{}:{chain=\"ethereum\"}","truncatedAlerts":0}`)
}

// BenchmarkWebhookIngest posts Alertmanager payloads over a real loopback
// HTTP connection, one request at a time, and reports alerts stored per
// second and the p99 request latency.
func BenchmarkWebhookIngest(b *testing.B) {
	for _, perRequest := range []int{1, 100} {
		b.Run(strconv.Itoa(perRequest)+"_per_request", func(b *testing.B) {
			sink := &copySink{}
			srv := httptest.NewServer(NewHandler(sink, HandlerOptions{}))
			defer srv.Close()
			client := srv.Client()
			url := srv.URL + "/alertmanager"
			var buf bytes.Buffer
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				amBody(&buf, i, perRequest)
				t0 := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(buf.Bytes()))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.StopTimer()
			if sink.n != b.N*perRequest {
				b.Fatalf("stored %d alerts, want %d", sink.n, b.N*perRequest)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(sink.n)/b.Elapsed().Seconds(), "alerts/s")
			b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99_ms")
		})
	}
}

package watch

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"sort"
	"testing"

	"github.com/prometheus/common/model"
)

// Vectors computed by prometheus/common model.LabelSet.Fingerprint, the
// function Alertmanager's alerts use; pinned so a change in either shows.
var fingerprintVectors = []struct {
	labels map[string]string
	want   string
}{
	{map[string]string{}, "cbf29ce484222325"}, // the FNV-1a offset basis
	{map[string]string{"alertname": "Watchdog"}, "003b0a0f7d3fa569"},
	{map[string]string{
		"alertname": "HighErrorRate", "chain": "ethereum", "instance": "api-1.prod:9090",
		"job": "api", "service": "bridge-api", "severity": "critical",
	}, "bb99f42553862d2c"},
	{map[string]string{
		"alertname": "OracleStale", "chain": "ethereum", "instance": "oracle-2.prod:9100",
		"job": "oracle", "service": "price-oracle", "severity": "warning",
	}, "7046fd6cff91730f"},
}

func TestLabelsFingerprintVectors(t *testing.T) {
	for _, v := range fingerprintVectors {
		if got := LabelsFingerprint(v.labels); got != v.want {
			t.Errorf("LabelsFingerprint(%v) = %s, want %s", v.labels, got, v.want)
		}
	}
}

// The reference implementation and an independent one over hash/fnv must
// agree with ours, including on names and values that would collide
// without the 0xFF separator.
func TestLabelsFingerprintMatchesPrometheus(t *testing.T) {
	sets := []map[string]string{
		{"a": "bc"}, {"ab": "c"}, {"a": "b", "c": "d"}, {"a": "bc", "d": ""},
		{"alertname": "x", "ü": "ünïcode"}, {"": ""},
	}
	for _, v := range fingerprintVectors {
		sets = append(sets, v.labels)
	}
	seen := map[string]bool{}
	for _, ls := range sets {
		got := LabelsFingerprint(ls)
		mls := model.LabelSet{}
		for k, v := range ls {
			mls[model.LabelName(k)] = model.LabelValue(v)
		}
		if want := mls.Fingerprint().String(); got != want {
			t.Errorf("%v: ours %s, prometheus %s", ls, got, want)
		}
		if want := stdlibFingerprint(ls); got != want {
			t.Errorf("%v: ours %s, hash/fnv %s", ls, got, want)
		}
		if seen[got] {
			t.Errorf("%v: fingerprint %s collides with another test set", ls, got)
		}
		seen[got] = true
	}
}

func stdlibFingerprint(ls map[string]string) string {
	names := make([]string, 0, len(ls))
	for k := range ls {
		names = append(names, k)
	}
	sort.Strings(names)
	h := fnv.New64a()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0xFF})
		h.Write([]byte(ls[n]))
		h.Write([]byte{0xFF})
	}
	return fmt.Sprintf("%016x", binary.BigEndian.Uint64(h.Sum(nil)))
}

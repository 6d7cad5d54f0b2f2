package watch

import (
	"fmt"
	"sort"
)

// FNV-1a 64 parameters, inlined as Prometheus does so hashing a label set
// allocates nothing but the sorted name slice.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
	// labelSeparator cannot occur in UTF-8, so "a"+"bc" and "ab"+"c" differ.
	labelSeparator = 0xFF
)

// LabelsFingerprint is Alertmanager's alert fingerprint for a label set:
// prometheus/common model.LabelSet.Fingerprint (labelSetToFingerprint),
// i.e. FNV-1a 64 over the label names in byte order, each name and then its
// value followed by the byte 0xFF, printed as 16 lower-case hex digits. An
// empty set hashes to the FNV offset basis, as there. Matching it exactly is
// what lets an alert that arrives both from Alertmanager (with a fingerprint)
// and from elsewhere (without one) be recognised as the same alert.
func LabelsFingerprint(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for name := range labels {
		names = append(names, name)
	}
	sort.Strings(names)
	var h uint64 = fnvOffset64
	for _, name := range names {
		h = fnvAdd(h, name)
		h = fnvAddByte(h, labelSeparator)
		h = fnvAdd(h, labels[name])
		h = fnvAddByte(h, labelSeparator)
	}
	return fmt.Sprintf("%016x", h)
}

func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}

func fnvAddByte(h uint64, b byte) uint64 {
	h ^= uint64(b)
	h *= fnvPrime64
	return h
}

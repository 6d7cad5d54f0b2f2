package domain_test

import (
	"errors"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// What a newer tminus signs (a format version or a kind this one does not
// know) is refused as ErrNewer, which says to upgrade, and is still
// ErrMalformed to every caller that sorts refusals; a kind no tminus would
// name is plain malformed.
func TestNewerIsMalformedSayingUpgrade(t *testing.T) {
	if !errors.Is(domain.ErrNewer, domain.ErrMalformed) {
		t.Fatal("ErrNewer is not ErrMalformed")
	}
	for _, c := range []struct {
		kind  string
		newer bool
	}{
		{"incident.close", true},
		{"safe.module_enable", true},
		{"", false},
		{"Incident.Delete", false},
		{"rm -rf", false},
		{"note", false},
	} {
		_, err := domain.DecodeBody(c.kind, []byte(`{}`))
		if !errors.Is(err, domain.ErrMalformed) || errors.Is(err, domain.ErrNewer) != c.newer {
			t.Errorf("DecodeBody(%q) = %v; want ErrMalformed, ErrNewer %v", c.kind, err, c.newer)
		}
	}
}

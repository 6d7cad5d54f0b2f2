package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"golang.org/x/sys/unix"
)

// A write that cannot reach the disk (full, over quota, over a file size
// limit) fails with ErrDiskFull, which says what to do, stores nothing, and
// the same open store writes again once space is back. The full disk is
// RLIMIT_FSIZE lowered to 0 in a child process (Go ignores SIGXFSZ, so
// writes fail with EFBIG), never in this one: the limit is process-wide.
func TestDiskFullWriteFailsClearly(t *testing.T) {
	if path := os.Getenv("TMINUS_TEST_DISKFULL_STORE"); path != "" {
		diskFullChild(t, path)
		return
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "full.db")
	k, _ := crypto.GenerateKey()
	signer := domain.KeySigner{Key: k}
	s := openAt(t, path)
	if _, err := s.Append(ctx, signer, &domain.Genesis{Name: "acme", Founder: domain.MemberSpec{Address: signer.Address(), Handle: "alice", Roles: []string{"triage"}}}); err != nil {
		t.Fatal(err)
	}
	inc, err := s.Append(ctx, signer, &domain.IncidentDeclare{Title: "Vault drain", Severity: "P1"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFullWriteFailsClearly$", "-test.v")
	cmd.Env = append(os.Environ(), "TMINUS_TEST_DISKFULL_STORE="+path,
		"TMINUS_TEST_DISKFULL_KEY="+hex.EncodeToString(crypto.FromECDSA(k)), "TMINUS_TEST_DISKFULL_INCIDENT="+inc.ID.String())
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "disk full child: ok") {
		t.Fatalf("child: %v\n%s", err, out)
	}

	s = openAt(t, path)
	if n := count(t, s); n != 3 {
		t.Fatalf("%d events after the full disk; want 3 (genesis, incident, the note written once space was back)", n)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q %v", ok, err)
	}
}

func diskFullChild(t *testing.T, path string) {
	ctx := context.Background()
	k, err := crypto.HexToECDSA(os.Getenv("TMINUS_TEST_DISKFULL_KEY"))
	if err != nil {
		t.Fatal(err)
	}
	inc, err := domain.ParseID(os.Getenv("TMINUS_TEST_DISKFULL_INCIDENT"))
	if err != nil {
		t.Fatal(err)
	}
	signer := domain.KeySigner{Key: k}
	s := openAt(t, path)
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 0, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // the failure must not leave the store stuck
		_, err = s.Append(ctx, signer, &domain.Note{Incident: inc, Text: "on a full disk"})
		if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "free space and retry") {
			t.Fatalf("append %d on a full disk: %v; want ErrDiskFull", i, err)
		}
	}
	if n := count(t, s); n != 2 {
		t.Fatalf("%d events after refused writes; want the 2 from before", n)
	}
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, signer, &domain.Note{Incident: inc, Text: "space is back"}); err != nil {
		t.Fatalf("append once space is back: %v", err)
	}
	t.Log("disk full child: ok")
}

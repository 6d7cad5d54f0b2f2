package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// farEnd makes TMINUS_SSH run script and then the real binary's sync
// --stdio on home, as a jump host whose login runs script first would.
func farEnd(t *testing.T, home, script string) {
	t.Helper()
	fakeSSH(t, script+"\nexec "+shellQuote(binary(t))+" --home "+shellQuote(home)+" sync --stdio")
}

// A jump host's shell startup file that prints (echo in .bashrc, a motd
// on stdout) puts text ahead of tminus/1 on the stream. The sync skips it,
// says what it skipped, and goes on; garbage without an end is still
// refused.
func TestTransportSSHBannerOnStdout(t *testing.T) {
	alice, _ := newWorkspace(t)
	for _, tc := range []struct {
		name, script string
		note         string
	}{
		{"one line", `echo 'Welcome to jump-1, authorised use only'`, "Welcome to jump-1, authorised use only"},
		{"no line break, and a control", `printf 'last login: today\033[2J'`, "last login: today\uFFFD[2J"},
		{"several lines", `printf 'a\nb\nc\n'`, "  | a\n  | b\n  | c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bob, _ := joinHome(t, t.TempDir(), "bob")
			farEnd(t, alice, tc.script)
			errs, code := syncSSHEnds(t, bob, "--ssh", "jump", "--timeout", "10m")
			if code != 0 {
				t.Fatalf("sync over a far end with a banner: exit %d, %s", code, errs)
			}
			if !strings.Contains(errs, "printed this before tminus/1 began, skipped") || !strings.Contains(errs, tc.note) {
				t.Errorf("stderr %q: want a note naming what was skipped (%q)", errs, tc.note)
			}
			if strings.Contains(errs, "\x1b") {
				t.Errorf("the far end's escape reached the terminal: %q", errs)
			}
			if got, want := eventCount(t, bob), eventCount(t, alice); got != want {
				t.Errorf("bob holds %d of alice's %d events", got, want)
			}
		})
	}
	t.Run("text without end", func(t *testing.T) {
		bob, _ := joinHome(t, filepath.Join(t.TempDir()), "bob")
		fakeSSH(t, "exec yes 'not tminus'")
		errs, code := syncSSHEnds(t, bob, "--ssh", "jump", "--timeout", "10m")
		if code != 1 || !strings.Contains(errs, "not tminus/1") || !strings.Contains(errs, "not tminus") {
			t.Errorf("a far end printing text for ever: exit %d, %q", code, errs)
		}
		if n := eventCount(t, bob); n != 0 {
			t.Errorf("stored %d events", n)
		}
	})
}

// FuzzBannerSkipper: whatever a far end prints, the skipper passes on
// exactly the bytes from the first NUL (the far end's first frame), tells
// once what came before, and refuses more text than maxBanner.
func FuzzBannerSkipper(f *testing.F) {
	for _, s := range []string{"", "\x00", "motd\n\x00\x00\x00\x00\x05", "no nul", "a\x00b\x00c"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		var told [][]byte
		b := &bannerSkipper{r: iotest.OneByteReader(bytes.NewReader(data)), said: func(p []byte) { told = append(told, bytes.Clone(p)) }}
		if chunk%2 == 0 {
			b.r = bytes.NewReader(data)
		}
		got, err := io.ReadAll(b)
		i := bytes.IndexByte(data, 0)
		switch {
		case i < 0 && len(data) > maxBanner || i > maxBanner:
			if err == nil {
				t.Fatalf("%d bytes of text passed", len(data))
			}
		case err != nil:
			t.Fatalf("%q: %v", data, err)
		case i < 0 && len(got) != 0, i >= 0 && !bytes.Equal(got, data[i:]):
			t.Fatalf("%q passed on as %q", data, got)
		}
		if len(told) > 1 || (len(told) == 1 && len(told[0]) == 0) {
			t.Fatalf("told %q", told)
		}
	})
}

// The link to a jump host drops mid-sync (ssh exits 255 with part of the
// stream read): the error says what was kept and to run it again; what it
// claims pulled is what the home holds; the next sync resumes and ends
// with every event once.
func TestTransportSSHDroppedMidSync(t *testing.T) {
	c := newRealCLI(t)
	alice, bob := twoHomes(t, c)
	want := appendNotes(t, alice, 4000)
	t.Setenv("TMINUS_PASSPHRASE", "pw")
	// The stream stops after 200 KiB, as when the connection is lost.
	fakeSSH(t, shellQuote(binary(t))+" --home "+shellQuote(alice)+" sync --stdio | head -c 200000; echo 'Connection to jump closed by remote host.' >&2; exit 255")
	errs, code := syncSSHEnds(t, bob, "--ssh", "jump", "--timeout", "10m")
	if code != 1 || !strings.Contains(errs, "exit status 255") || !strings.Contains(errs, "run it again") {
		t.Fatalf("a dropped sync: exit %d, %q", code, errs)
	}
	held := eventCount(t, bob)
	if !strings.Contains(errs, fmt.Sprintf("pulled %d,", held)) {
		t.Errorf("a dropped sync: %q, while bob holds %d events", errs, held)
	}
	farEnd(t, alice, "")
	if errs, code := syncSSHEnds(t, bob, "--ssh", "jump", "--timeout", "10m"); code != 0 {
		t.Fatalf("the sync after: exit %d, %s", code, errs)
	}
	if got := eventCount(t, bob); int64(got) != want {
		t.Fatalf("bob holds %d of %d events after resuming", got, want)
	}
	if out, errs, code := tminus(t, bob, "verify"); code != 0 {
		t.Fatalf("verify after resuming: %s %s", out, errs)
	}
}

// A far end that fails before it speaks (an older tminus without sync
// --stdio, no home there) is not called a dropped sync to run again.
func TestTransportSSHFarEndFailsBeforeSpeaking(t *testing.T) {
	home, _ := newWorkspace(t)
	fakeSSH(t, "echo 'Error: unknown flag: --stdio' >&2; exit 1")
	errs, code := syncSSHEnds(t, home, "--ssh", "jump", "--timeout", "10m")
	if code != 1 || !strings.Contains(errs, "unknown flag: --stdio") || !strings.Contains(errs, "before the far end spoke tminus/1") || strings.Contains(errs, "run it again") {
		t.Errorf("far end failing at once: exit %d, %q", code, errs)
	}
}

// Over a real OpenSSH connection (a private sshd on 127.0.0.1), a far end
// whose shell prints a banner first still syncs, and the banner is shown.
func TestTransportSSHBannerOverRealSSH(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	srv, why := startSSHD(t)
	if srv == nil {
		t.Skip("real-ssh test skipped: " + why)
	}
	c := newRealCLI(t)
	alice, bob := twoHomes(t, c)
	t.Setenv("TMINUS_SSH", srv.path("ssh"))
	t.Setenv("TMINUS_REMOTE_COMMAND", "echo 'jump-1: authorised use only'; "+shellQuote(c.bin)+" --home "+shellQuote(alice)+" sync --stdio")
	t.Setenv("TMINUS_PASSPHRASE", "pw")
	errs, code := syncSSHEnds(t, bob, "--ssh", "tminus-test", "--timeout", "2m")
	if code != 0 || !strings.Contains(errs, "| jump-1: authorised use only") {
		t.Fatalf("sync over real ssh with a banner: exit %d, %s", code, errs)
	}
	if a, b := c.run(alice, "state-hash"), c.run(bob, "state-hash"); a != b {
		t.Errorf("state hashes differ: %s %s", a, b)
	}
}

// A far end whose home holds another workspace (the right jump host, the
// wrong --home) is named as such, with what to set, and nothing moves.
func TestTransportSSHOtherWorkspace(t *testing.T) {
	alice, _ := newWorkspace(t)
	carol, _ := newWorkspace(t)
	before := eventCount(t, alice)
	farEnd(t, carol, "")
	errs, code := syncSSHEnds(t, alice, "--ssh", "jump", "--timeout", "10m")
	if code != 1 || !strings.Contains(errs, "the peer holds another workspace") || !strings.Contains(errs, "TMINUS_REMOTE_COMMAND") {
		t.Errorf("sync with another workspace's home: exit %d, %q", code, errs)
	}
	if n := eventCount(t, alice); n != before {
		t.Errorf("alice holds %d events, had %d", n, before)
	}
}

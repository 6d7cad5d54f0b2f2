package runbooks

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestExec(t *testing.T) {
	tests := []struct {
		name     string
		cmd      string
		opts     ExecOptions
		code     int
		output   string
		timedOut bool
		err      bool
	}{
		{"success", "echo hello", ExecOptions{}, 0, "hello\n", false, false},
		{"exit code", "exit 3", ExecOptions{}, 3, "", false, false},
		{"failing command keeps its output", "echo why >&2; false", ExecOptions{}, 1, "why\n", false, false},
		{"stdout and stderr in order", "echo 1; echo 2 >&2; echo 3", ExecOptions{}, 0, "1\n2\n3\n", false, false},
		{"killed by a signal", "kill -TERM $$", ExecOptions{}, 128 + 15, "", false, false},
		{"dir", "pwd", ExecOptions{Dir: "/"}, 0, "/\n", false, false},
		{"env", `printf %s "$X"`, ExecOptions{Env: []string{"X=y"}}, 0, "y", false, false},
		{"no stdin", "cat", ExecOptions{}, 0, "", false, false},
		// 3 s, not less: on a loaded box the shell had not yet echoed when a
		// 200 ms timeout killed it, and the output came back empty.
		{"timeout", "echo started; sleep 30", ExecOptions{Timeout: 3 * time.Second}, TimeoutExitCode, "started\n", true, true},
		{"empty command", "  ", ExecOptions{}, -1, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Exec(context.Background(), tt.cmd, tt.opts)
			if res.ExitCode != tt.code || string(res.Output) != tt.output || res.TimedOut != tt.timedOut || (res.Err != nil) != tt.err {
				t.Errorf("got code %d output %q timedOut %v err %v; want %d %q %v err=%v",
					res.ExitCode, res.Output, res.TimedOut, res.Err, tt.code, tt.output, tt.timedOut, tt.err)
			}
			if tt.timedOut && !errors.Is(res.Err, context.DeadlineExceeded) {
				t.Errorf("timeout error %v does not wrap context.DeadlineExceeded", res.Err)
			}
		})
	}
}

// TestExecTimeoutKillsGroup: a backgrounded child holds the output pipe open; only killing
// the whole process group lets Exec return at the timeout instead of after 30 s, and the
// child must be gone afterwards (which is what shows the group, not just the shell, was
// killed). The timeout is 3 s and the bound loose: on a loaded box a 300 ms timeout
// killed the shell before it printed the child's pid.
func TestExecTimeoutKillsGroup(t *testing.T) {
	start := time.Now()
	res := Exec(context.Background(), "sleep 30 & echo $!; sleep 30", ExecOptions{Timeout: 3 * time.Second})
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %s; the process group was not killed at the timeout", took)
	}
	if !res.TimedOut || res.ExitCode != TimeoutExitCode {
		t.Errorf("got timedOut %v code %d", res.TimedOut, res.ExitCode)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(res.Output)))
	if err != nil {
		t.Fatalf("output %q: %v", res.Output, err)
	}
	if runtime.GOOS == "linux" {
		waitGone(t, pid)
	}
}

// waitGone waits for pid to be gone or a zombie (whose reaping is init's business).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for range 500 { // 10 s: generous for a loaded box
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return
		}
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("background child %d still runs after the timeout", pid)
}

func TestExecCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res := Exec(ctx, "sleep 30", ExecOptions{})
	if res.TimedOut || res.ExitCode != InterruptedExitCode || !errors.Is(res.Err, context.Canceled) {
		t.Errorf("got timedOut %v code %d err %v", res.TimedOut, res.ExitCode, res.Err)
	}
	if res.Duration > 5*time.Second {
		t.Errorf("cancel took %s", res.Duration)
	}
}

// TestExecOutputCap: 100 MiB of output is drained to the end (the command exits 0 rather
// than dying on a full pipe), kept to the cap, and not held in memory on the way.
func TestExecOutputCap(t *testing.T) {
	const limit = 1 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := Exec(context.Background(), "head -c 104857600 /dev/zero; echo done >&2", ExecOptions{MaxOutput: limit, Timeout: time.Minute})
	runtime.ReadMemStats(&after)
	if res.Err != nil || res.ExitCode != 0 {
		t.Fatalf("code %d err %v", res.ExitCode, res.Err)
	}
	if !res.Truncated {
		t.Error("Truncated not set")
	}
	if !bytes.Equal(res.Output[:limit/2], make([]byte, limit/2)) {
		t.Error("the first half of MaxOutput is not the command's output")
	}
	rest := string(res.Output[limit/2:])
	note, tail, _ := strings.Cut(rest, "kept]\n")
	if note != "\n[tminus: output over 1048576 bytes: 103809029 bytes cut here; the start and the end are " {
		t.Errorf("note = %q", note)
	}
	if len(tail) != limit/2 || !strings.HasSuffix(tail, "\x00done\n") {
		t.Errorf("the kept end is %d bytes ending %q, want the last %d ending in done", len(tail), tail[max(len(tail)-8, 0):], limit/2)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Errorf("allocated %d MiB to capture a 1 MiB cap", grew>>20)
	}
}

func TestCappedBufferBoundaries(t *testing.T) {
	tests := []struct {
		writes    []string
		want      string
		truncated bool
	}{
		{[]string{"abc"}, "abc", false},
		{[]string{"abcd"}, "abcd", false},
		{[]string{"ab", "cd"}, "abcd", false},
		{[]string{"ab", "cde"}, "ab\n[tminus: output over 4 bytes: 1 bytes cut here; the start and the end are kept]\nde", true},
		{[]string{"abcd", "e", "fg"}, "ab\n[tminus: output over 4 bytes: 3 bytes cut here; the start and the end are kept]\nfg", true},
		{[]string{"a\n", "xyz", "error\n"}, "a\n[tminus: output over 4 bytes: 7 bytes cut here; the start and the end are kept]\nr\n", true},
	}
	for _, tt := range tests {
		c := &cappedBuffer{limit: 4}
		for _, w := range tt.writes {
			if n, err := c.Write([]byte(w)); n != len(w) || err != nil {
				t.Errorf("Write(%q) = %d, %v; it must always accept everything", w, n, err)
			}
		}
		got, truncated := c.result()
		if string(got) != tt.want || truncated != tt.truncated {
			t.Errorf("writes %q: got %q %v, want %q %v", tt.writes, got, truncated, tt.want, tt.truncated)
		}
	}
}

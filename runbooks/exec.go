package runbooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

const (
	// DefaultTimeout bounds a step when the caller sets none: containment one-liners finish in
	// seconds to a minute (a transaction waiting for its receipt is the slow case), and a hung
	// ssh must not hold the containment lead's terminal for longer than this.
	DefaultTimeout = 5 * time.Minute
	// DefaultMaxOutput caps the captured output, which becomes an evidence blob replicated to
	// every peer.
	DefaultMaxOutput int64 = 1 << 20
	// TimeoutExitCode is reported for a command killed at its timeout, as timeout(1) does.
	TimeoutExitCode = 124
	// InterruptedExitCode is reported for a command killed because tminus was
	// interrupted (Ctrl-C), as a shell reports SIGINT.
	InterruptedExitCode = 130
	// waitDelay bounds the wait for output after the process group is killed, in case a
	// process left the group (setsid) and still holds the pipe.
	waitDelay = 2 * time.Second
)

// ExecOptions tune one execution; zero values mean the defaults.
type ExecOptions struct {
	Timeout   time.Duration // 0 or less: DefaultTimeout (the CLI refuses those; the cockpit passes 0)
	MaxOutput int64
	Dir       string
	Env       []string // nil: the executing member's environment
}

// ExecResult is what happened. A command that ran and failed has its ExitCode and a nil Err;
// Err is set only when tminus could not run it to the end (start failure, timeout, cancel).
type ExecResult struct {
	ExitCode  int
	Duration  time.Duration
	Output    []byte // stdout and stderr interleaved as written, capped
	Truncated bool
	TimedOut  bool
	Err       error
}

var errTimedOut = errors.New("timed out")

// Exec runs command with sh -c on this machine. It checks no approvals: the gate is the
// caller's, and comes before. The command gets no terminal and
// an empty stdin, so a prompt fails instead of hanging; on timeout or cancel its whole
// process group is killed, so a pipeline or a backgrounded child does not outlive it.
func Exec(ctx context.Context, command string, opts ExecOptions) ExecResult {
	if strings.TrimSpace(command) == "" {
		return ExecResult{ExitCode: -1, Err: errors.New("empty command")}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	limit := opts.MaxOutput
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	runCtx, cancel := context.WithTimeoutCause(ctx, timeout, errTimedOut)
	defer cancel()

	out := &cappedBuffer{limit: limit}
	// /bin/sh rather than a PATH lookup: the caller's Env may carry any PATH.
	cmd := exec.CommandContext(runCtx, "/bin/sh", "-c", command)
	cmd.Dir = opts.Dir
	cmd.Env = opts.Env
	cmd.Stdout = out // the same writer for both: exec then shares one pipe, keeping the order
	cmd.Stderr = out
	cmd.WaitDelay = waitDelay
	isolate(cmd)

	start := time.Now()
	err := cmd.Run()
	res := ExecResult{Duration: time.Since(start)}
	res.Output, res.Truncated = out.result()

	var exitErr *exec.ExitError
	switch {
	case err != nil && context.Cause(runCtx) == errTimedOut && ctx.Err() == nil:
		res.ExitCode, res.TimedOut = TimeoutExitCode, true
		res.Err = fmt.Errorf("command timed out after %s; its process group was killed: %w", timeout, context.DeadlineExceeded)
	case err != nil && ctx.Err() != nil:
		res.ExitCode = InterruptedExitCode
		res.Err = fmt.Errorf("command interrupted after %s; its process group was killed: %w", res.Duration.Round(time.Millisecond), ctx.Err())
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitCode(exitErr)
	default:
		res.ExitCode, res.Err = -1, err
	}
	return res
}

// cappedBuffer keeps the first half of limit bytes and the last half, and counts what it
// cut between them: a failing step prints its error last, after whatever filled the
// start. Write always reports the full length, so the pipe keeps draining and a command
// printing gigabytes neither blocks on a full pipe nor grows memory.
type cappedBuffer struct {
	mu     sync.Mutex
	limit  int64
	head   bytes.Buffer
	ring   []byte // the last limit-limit/2 bytes written past head
	next   int    // where ring writes next
	beyond int64  // bytes written past head
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	if room := c.limit/2 - int64(c.head.Len()); room > 0 {
		k := min(room, int64(len(p)))
		c.head.Write(p[:k])
		p = p[k:]
	}
	c.beyond += int64(len(p))
	size := int(c.limit - c.limit/2)
	if size == 0 || len(p) == 0 {
		return n, nil
	}
	if c.ring == nil {
		c.ring = make([]byte, size)
	}
	if len(p) > size {
		p = p[len(p)-size:]
	}
	for len(p) > 0 {
		k := copy(c.ring[c.next:], p)
		p = p[k:]
		c.next = (c.next + k) % size
	}
	return n, nil
}

func (c *cappedBuffer) result() ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]byte(nil), c.head.Bytes()...)
	size := int64(len(c.ring))
	if c.beyond <= size {
		return append(out, c.ring[:c.beyond]...), false
	}
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = fmt.Appendf(out, "[tminus: output over %d bytes: %d bytes cut here; the start and the end are kept]\n", c.limit, c.beyond-size)
	out = append(out, c.ring[c.next:]...)
	return append(out, c.ring[:c.next]...), true
}

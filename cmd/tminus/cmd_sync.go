package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tminus-ir/tminus/workspace"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	tsync "github.com/tminus-ir/tminus/sync"
)

func init() {
	extraCommandFuncs = append(extraCommandFuncs, (*app).serveCmd, (*app).peerCmd, (*app).syncCmd)
}

// node starts this device's devp2p node on listen ("" dials only),
// logging warnings to stderr.
func (a *app) node(ctx context.Context, listen string) (*tsync.Node, error) {
	return a.nodeLogging(ctx, listen, slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil)
}

// nodeLogging starts the node with its own logger; state, when not nil, lends it a
// folded state to admit and dial by (tsync.Config.State) instead of its own View.
func (a *app) nodeLogging(ctx context.Context, listen string, log *slog.Logger, state func(func(*domain.State) error) error) (*tsync.Node, error) {
	st, err := a.home.Store(ctx)
	if err != nil {
		return nil, err
	}
	// devp2p's handshake needs the private key itself, which an agent never
	// lends: a node unlocks the keystore in its own process.
	key, err := a.home.Key()
	if err != nil {
		return nil, a.agentCannotLend(err)
	}
	n := tsync.NewNode(tsync.Config{Key: key, ListenAddr: listen, Store: st, Logger: log, State: state})
	if err := n.Start(); err != nil {
		return nil, fmt.Errorf("start node on %s: %w", listen, err)
	}
	return n, nil
}

// maintain keeps n's dial list and peer rows current until the returned
// stop is called; stop waits for Maintain's last write (every peer marked
// disconnected), so call it before the store closes.
func maintain(ctx context.Context, n *tsync.Node) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); n.Maintain(ctx, time.Second) }()
	return func() { cancel(); <-done }
}

// agentCannotLend adds, to a failed unlock while this home's agent answers,
// why the agent's unlock does not cover a node: "no passphrase" alone reads
// as if the shift's agent were not working.
func (a *app) agentCannotLend(err error) error {
	path, _ := a.home.AgentSock()
	c, derr := agent.Dial(path)
	if derr != nil {
		return err
	}
	c.Close()
	return fmt.Errorf("%w; the agent on %s holds the key but never lends it, and a devp2p node (sync ENODE, serve) "+
		"needs it for its handshake: give the passphrase, or use sync --ssh, or peer add ENODE for this home's running serve or cockpit", err, path)
}

type serveOpts struct {
	listen, webhook, token string
}

func (a *app) serveCmd() *cobra.Command {
	var o serveOpts
	c := &cobra.Command{
		Use:   "serve [--listen ADDR] [--webhook ADDR] [--webhook-token T]",
		Short: "Run a headless node: peers, webhooks, watchers",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A malformed address is wrong usage, said before the node starts; one
			// that is taken or not this machine's fails later, on listen (exit 1).
			for _, f := range []struct{ name, addr string }{{"--listen", o.listen}, {"--webhook", o.webhook}} {
				if err := checkListenAddr(f.addr); err != nil {
					return usageError{fmt.Errorf("%s %q: %w", f.name, f.addr, err)}
				}
			}
			return a.runServe(cmd.Context(), o)
		},
	}
	c.Flags().StringVar(&o.listen, "listen", "", "p2p listen address (default: the config's, "+workspace.DefaultListen+")")
	c.Flags().StringVar(&o.webhook, "webhook", "", "HTTP address for Alertmanager and generic alert webhooks")
	c.Flags().StringVar(&o.token, "webhook-token", "", "bearer token the webhook requires (or TMINUS_WEBHOOK_TOKEN, which keeps it out of ps)")
	return c
}

// checkListenAddr checks the shape of a HOST:PORT to listen on ("" is the
// default): a port number, the host optional.
func checkListenAddr(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want HOST:PORT, such as 127.0.0.1:30317")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q: want a number 0..65535", port)
	}
	return nil
}

func (a *app) runServe(ctx context.Context, o serveOpts) error {
	cfg, err := a.home.Config()
	if err != nil {
		return err
	}
	if o.listen == "" {
		o.listen = cfg.Listen
	}
	// One node per home: a second, on another port, ran beside the first
	// with the same key (peers refuse one of the two) and, on exit, took
	// the first's address out of tminus id.
	if live := a.home.LiveEnode(); live != "" {
		return fmt.Errorf("a tminus serve of this home already runs, listening on %s: stop it first (one node per home)", live)
	}
	n, err := a.node(ctx, o.listen)
	if errors.Is(err, syscall.EADDRINUSE) {
		// A cockpit that took over when the last serve stopped holds the port
		// and writes the home; the bare bind error named neither.
		if agentAnswers(a.home.NodeSock()) {
			return fmt.Errorf("%s is taken, and another process of this home (a cockpit that took over syncing?) writes it: quit that first, then start serve: %w", o.listen, err)
		}
		return fmt.Errorf("%s is taken by another program: free it, or serve --listen IP:PORT (and update the address teammates dial): %w", o.listen, err)
	}
	if err != nil {
		return err
	}
	defer n.Stop()
	defer maintain(ctx, n)()
	// Said before the node's line, which scripts wait for.
	a.warnRosterHint(ctx, n.Self())
	if err := homeMayWrite(ctx, a.home); err != nil {
		// It still serves what it holds; what it would write would not count.
		fmt.Fprintf(a.stderr, "note: %v\n", err)
	}
	fmt.Fprintf(a.stderr, "tminus node %s\n", n.Self())
	// tminus id shows the address this node listens on, not the config's.
	if forget, err := a.home.RecordNode(n.Self()); err != nil {
		fmt.Fprintf(a.stderr, "tminus id will show the config's enode: %v\n", err)
	} else {
		defer forget()
	}
	// Shell commands of this home write through this process (announced to
	// peers at once) and sign with its key, unlocked once, on the agent socket.
	writer, err := a.home.Serve(ctx, a.stderr)
	if err != nil {
		return err
	}
	if writer {
		// evidence get asks this node for a blob the home lacks: its
		// connected peers are the ones to ask.
		a.home.SetFetch(func(ctx context.Context, hashes []string) ([]string, error) { return n.Fetch(ctx, hashes, nil) })
		if path, ok := a.home.AgentServed(); ok {
			fmt.Fprintf(a.stderr, "writes for this home on %s; agent on %s\n", a.home.NodeSock(), path)
		} else {
			path, _ := a.home.AgentSock()
			fmt.Fprintf(a.stderr, "writes for this home on %s; signs through the agent on %s\n", a.home.NodeSock(), path)
		}
	} else {
		fmt.Fprintf(a.stderr, "another process (a cockpit?) writes this home on %s\n", a.home.NodeSock())
	}
	errc := make(chan error, 1)
	if o.webhook != "" {
		srv, err := a.webhookServer(ctx, o.webhook, o.token)
		if err != nil {
			return err
		}
		// Listen before saying where: a busy port fails here, and with
		// port 0 the line names the port the kernel picked.
		ln, err := net.Listen("tcp", o.webhook)
		if err != nil {
			return fmt.Errorf("webhook on %s: %w", o.webhook, err)
		}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("webhook on %s: %w", ln.Addr(), err)
			}
		}()
		defer srv.Close()
		fmt.Fprintf(a.stderr, "webhook http://%s/alertmanager and /alert\n", ln.Addr())
	}
	if err := a.startWatchers(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	}
}

func (a *app) peerCmd() *cobra.Command {
	c := &cobra.Command{Use: "peer", Short: "Nodes this device replicates with"}
	add := &cobra.Command{
		Use:   "add ENODE",
		Short: "Add a peer; a running node dials it within seconds",
		Args:  exactArgs(1, "an enode:// URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := enode.ParseV4(args[0]); err != nil {
				return usageError{fmt.Errorf("%q is not an enode URL: %w", args[0], err)}
			}
			st, err := a.home.Store(cmd.Context())
			if err != nil {
				return err
			}
			return st.AddPeer(cmd.Context(), args[0])
		},
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "Peers with what the running node last saw of them",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.home.Store(cmd.Context())
			if err != nil {
				return err
			}
			peers, err := st.Peers(cmd.Context())
			if err != nil {
				return err
			}
			type view struct {
				Enode     string `json:"enode"`
				Member    string `json:"member"` // the handle of the member whose device key it is; "" for none
				Connected bool   `json:"connected"`
				LastSeen  string `json:"last_seen,omitempty"` // absent until the node first saw the peer
				Behind    int64  `json:"behind"`
			}
			member := a.peerMembers(cmd.Context())
			out := []view{}
			for _, p := range peers {
				// Connected already follows the store's liveness rule: a
				// node that stopped without saying so reads as gone.
				out = append(out, view{p.Enode, member(p.Enode), p.Connected, ts(p.LastSeen), p.Behind})
			}
			if asJSON {
				return a.printJSON(out)
			}
			// Who first: in an incident the question is which teammate is
			// cut off, and 128 hex digits of key do not say.
			w := newTable(a.text())
			fmt.Fprintln(w, "MEMBER\tCONNECTED\tBEHIND\tLAST SEEN\tENODE")
			for _, p := range out {
				behind := "-" // a count kept from when it was connected
				if p.Connected {
					behind = strconv.FormatInt(p.Behind, 10)
				}
				fmt.Fprintf(w, "%s\t%v\t%s\t%s\t%s\n", orDash(p.Member), p.Connected, behind, orDash(p.LastSeen), p.Enode)
			}
			return w.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(add, list)
	return c
}

// peerMembers names peers by the member whose device key their enode
// holds; "" for a key no member holds, and for every peer of a home that
// has no workspace yet.
func (a *app) peerMembers(ctx context.Context) func(url string) string {
	st, err := a.home.Store(ctx)
	if err != nil || st.Workspace().IsZero() {
		return func(string) string { return "" }
	}
	s, err := a.state(ctx)
	if err != nil {
		return func(string) string { return "" }
	}
	return func(url string) string {
		node, err := enode.ParseV4(url)
		if err != nil || node.Pubkey() == nil {
			return ""
		}
		if m := s.MemberByKey(crypto.PubkeyToAddress(*node.Pubkey())); m != nil {
			return m.Handle
		}
		return ""
	}
}

func (a *app) syncCmd() *cobra.Command {
	var sshHost string
	var stdio, asJSON bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "sync ENODE | --ssh [USER@]HOST | --stdio",
		Short: "One round of pull and push with one peer, then exit with a summary",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return errSyncUsage
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			var stats tsync.Stats
			var err error
			switch {
			case stdio && len(args) == 0 && sshHost == "":
				return a.syncStdio(cmd.Context())
			case sshHost != "" && len(args) == 0 && !stdio:
				stats, err = a.syncSSH(ctx, sshHost)
			case len(args) == 1 && sshHost == "" && !stdio:
				if _, perr := enode.ParseV4(args[0]); perr != nil {
					return usageError{fmt.Errorf("%q is not an enode URL: %w (tminus id prints a node's; or sync --ssh HOST)", args[0], perr)}
				}
				stats, err = a.syncNode(ctx, args[0])
			default:
				return errSyncUsage
			}
			if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
				// A link that stalls (a laptop's lid, a hung jump host) ends here.
				return fmt.Errorf("sync did not finish within --timeout %s (pulled %d, pushed %d, blobs %d; kept): run it again, or give a longer --timeout: %w",
					timeout, stats.Pulled, stats.Pushed, stats.Blobs, err)
			}
			if err != nil {
				return err
			}
			unansweredNote(a.stderr, stats)
			if asJSON {
				return a.printJSON(stats)
			}
			fmt.Fprintf(a.stdout, "pulled %d, pushed %d, rejected %d, blobs %d\n", stats.Pulled, stats.Pushed, stats.Rejected, stats.Blobs)
			return nil
		},
	}
	c.Flags().StringVar(&sshHost, "ssh", "", "run tminus sync --stdio on [USER@]HOST over ssh")
	c.Flags().BoolVar(&stdio, "stdio", false, "speak tminus/1 on stdin/stdout (the far end of --ssh)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "give up after")
	return c
}

// errSyncUsage is sync's answer to arguments that name no one peer.
var errSyncUsage = usageError{errors.New("sync: give one ENODE, or --ssh HOST, or --stdio")}

// syncNode runs one round with the node at url. When this home's running
// node (serve or cockpit) is connected to that peer, the peer refuses a
// second connection from this device's key; that node already replicates
// with it, so the sync reports what it sees of the peer instead.
func (a *app) syncNode(ctx context.Context, url string) (tsync.Stats, error) {
	// Asked first, before the keystore: the peer would turn this key away
	// anyway, and a shell that has only the agent (eval "$(tminus agent)",
	// no passphrase) used to fail here asking for one.
	if a.home.LiveEnode() != "" {
		if behind, err := a.peerBehind(ctx, url); err == nil && behind >= 0 {
			return tsync.Stats{}, a.syncedByNode(ctx, url, errNodeLostPeer)
		}
	}
	n, err := a.node(ctx, "")
	if err != nil {
		return tsync.Stats{}, err
	}
	tick, stopTick := everyProgress()
	stop := syncProgress(a.stderr, n.PeerName(url), func() int64 {
		for _, p := range n.Connected() { // the one-shot's session alone
			return p.Behind
		}
		return 0
	}, tick)
	stats, err := n.SyncOnce(ctx, url)
	stop()
	stopTick()
	n.Stop()
	if errors.Is(err, tsync.ErrAlreadyConnected) {
		return stats, a.syncedByNode(ctx, url, err)
	}
	return stats, err
}

// Waits of syncedByNode: a running node records its sessions every
// second (Maintain), so a connection it has shows in its peer rows within
// alreadyShown; pollPeers is how often the rows are read.
const (
	alreadyShown = 4 * time.Second
	pollPeers    = 200 * time.Millisecond
)

// errNodeLostPeer is syncedByNode's refusal when this home's running node
// was connected to the peer when sync started and no longer is.
var errNodeLostPeer = errors.New("this home's running node lost its connection to that peer: run the sync again")

// peerBehind is how far this home's running node, by its peer rows, is
// behind the peer at url: -1 when it is not connected to it.
func (a *app) peerBehind(ctx context.Context, url string) (int64, error) {
	want, err := enode.ParseV4(url)
	if err != nil {
		return -1, err
	}
	st, err := a.home.Store(ctx)
	if err != nil {
		return -1, err
	}
	peers, err := st.Peers(ctx)
	if err != nil {
		return -1, err
	}
	behind := int64(-1)
	for _, p := range peers {
		if node, nerr := enode.ParseV4(p.Enode); nerr == nil && node.ID() == want.ID() && p.Connected {
			behind = p.Behind
		}
	}
	return behind, nil
}

// syncedByNode waits, within ctx, until this home's peer rows show the
// peer connected and nothing behind it; err (the peer's refusal) is
// returned, with what to do, when no node of this home is connected to it.
func (a *app) syncedByNode(ctx context.Context, url string, err error) error {
	if _, perr := enode.ParseV4(url); perr != nil {
		return err
	}
	shown := time.Now().Add(alreadyShown)
	tick := time.NewTicker(pollPeers)
	defer tick.Stop()
	for {
		behind, perr := a.peerBehind(ctx, url)
		if perr != nil {
			return perr
		}
		if behind == 0 {
			fmt.Fprintf(a.stderr, "this home's running node (tminus serve or the cockpit) is connected to that peer and keeps this store in step with it: nothing is behind\n")
			return nil
		}
		if behind < 0 && time.Now().After(shown) {
			if errors.Is(err, errNodeLostPeer) {
				return err
			}
			return fmt.Errorf("%w; no node of this home is connected to it, so another process or machine is using this device's key: stop it, or let it replicate", err)
		}
		select {
		case <-ctx.Done():
			if behind < 0 {
				return err
			}
			return fmt.Errorf("this home's running node is connected to that peer and replicates with it, but is still %d events behind it: %w", behind, ctx.Err())
		case <-tick.C:
		}
	}
}

// syncStdio is the far end of --ssh: the SSH login authenticated the
// caller; every event is still verified before it is stored.
func (a *app) syncStdio(ctx context.Context) error {
	st, err := a.home.Store(ctx)
	if err != nil {
		return err
	}
	s := &tsync.Session{St: st, RW: tsync.NewFramed(a.stdin, a.stdout, nil), OneShot: true, Idle: 2 * time.Second}
	err = s.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return ignoreEOF(err)
}

func (a *app) syncSSH(ctx context.Context, host string) (tsync.Stats, error) {
	if strings.HasPrefix(host, "-") {
		// ssh would read it as an option (-oProxyCommand=... runs a command).
		return tsync.Stats{}, usageError{fmt.Errorf("--ssh %q is not an ssh host: give [USER@]HOST", host)}
	}
	st, err := a.home.Store(ctx)
	if err != nil {
		return tsync.Stats{}, err
	}
	ssh := os.Getenv("TMINUS_SSH")
	if ssh == "" {
		ssh = "ssh"
	}
	remote := os.Getenv("TMINUS_REMOTE_COMMAND")
	if remote == "" {
		remote = "tminus sync --stdio"
	}
	cmd := exec.CommandContext(ctx, ssh, "-T", "-o", "BatchMode=yes", "--", host, remote)
	// ssh's stderr, the progress and the notes below write at once: one
	// lock, and no ReadFrom (exec's copy into a bytes.Buffer, as tests
	// give, would otherwise cut off what the others wrote meanwhile).
	errw := &lockedWriter{w: a.stderr}
	cmd.Stderr = errw
	in, err := cmd.StdinPipe()
	if err != nil {
		return tsync.Stats{}, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return tsync.Stats{}, err
	}
	if err := cmd.Start(); err != nil {
		return tsync.Stats{}, fmt.Errorf("ssh %s: %w", host, err)
	}
	var behind atomic.Int64
	skip := &bannerSkipper{r: out, remote: remote, said: func(text []byte) {
		fmt.Fprintf(errw, "note: the far end printed this before tminus/1 began, skipped (a login banner, or a shell startup file such as ~/.bashrc that prints when not interactive):\n%s\n",
			bannerExcerpt(text))
	}}
	s := &tsync.Session{St: st, RW: tsync.NewFramed(skip, in, in), OneShot: true, Behind: behind.Store}
	tick, stopTick := everyProgress()
	stop := syncProgress(errw, host, behind.Load, tick)
	err = s.Run(ctx)
	stop()
	stopTick()
	in.Close()
	if err != nil && !isEOF(err) {
		// A broken session: the far end may go on writing into a pipe
		// nobody reads, and ssh would never exit.
		cmd.Process.Kill()
		cmd.Wait()
		if errors.Is(err, tsync.ErrOtherWorkspace) {
			return s.Stats, fmt.Errorf("sync over ssh %s: %w: the far end's home is another workspace's; point TMINUS_REMOTE_COMMAND at this workspace's home there (e.g. \"tminus --home DIR sync --stdio\"); nothing was exchanged", host, err)
		}
		return s.Stats, fmt.Errorf("sync over ssh %s: %w", host, err)
	}
	werr := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err != nil && errors.As(werr, &exit) && exit.ExitCode() == 127:
		return s.Stats, fmt.Errorf("ssh %s: the far end's command %q was not found (%w): install tminus there, or set TMINUS_REMOTE_COMMAND", host, remote, werr)
	case err != nil && werr != nil && !skip.begun:
		return s.Stats, fmt.Errorf("ssh %s ended the connection with %w before the far end spoke tminus/1 (ssh's or the far end's error is above)", host, werr)
	case err != nil && werr != nil:
		// A link lost mid-sync (ssh exits 255): what was stored stays, and
		// the next sync starts from it.
		return s.Stats, fmt.Errorf("ssh %s ended the connection with %w (ssh's or the far end's error is above); pulled %d, pushed %d before it ended, kept: run it again to go on",
			host, werr, s.Stats.Pulled, s.Stats.Pushed)
	case err != nil && (s.Stats.Pulled > 0 || s.Stats.Pushed > 0):
		return s.Stats, fmt.Errorf("sync over ssh %s: the far end closed the connection mid-sync (pulled %d, pushed %d, kept); run it again", host, s.Stats.Pulled, s.Stats.Pushed)
	case err != nil:
		return s.Stats, fmt.Errorf("sync over ssh %s: the far end closed the connection before it spoke tminus/1 (is %q a tminus sync --stdio? set TMINUS_REMOTE_COMMAND)", host, remote)
	case werr != nil && s.Stats.Pulled == 0 && s.Stats.Pushed == 0:
		return s.Stats, fmt.Errorf("ssh %s: %w", host, werr)
	}
	return s.Stats, nil
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu gosync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// maxBanner bounds the text skipped ahead of tminus/1 on an SSH stream:
// far more than a login banner, and little to read of a far end that is
// not tminus at all.
const maxBanner = 64 << 10

// bannerSkipper passes on an SSH command's stdout from its first NUL byte.
// A jump host's shell often prints before the command runs (an echo in
// ~/.bashrc, a motd), and those bytes used to be read as a frame ("frame
// code 87 of 1701602159 bytes is over its cap"). Text holds no NUL, and
// the far end's first frame is its Status, code 0: the first NUL is where
// tminus/1 begins. said is told what was skipped, once.
type bannerSkipper struct {
	r      io.Reader
	remote string
	said   func([]byte)
	text   []byte
	begun  bool
}

func (b *bannerSkipper) Read(p []byte) (int, error) {
	for !b.begun {
		n, err := b.r.Read(p)
		if i := bytes.IndexByte(p[:n], 0); i >= 0 {
			b.begun = true
			b.text = append(b.text, p[:i]...)
			b.say()
			return copy(p, p[i:n]), err
		}
		b.text = append(b.text, p[:n]...)
		if len(b.text) > maxBanner {
			b.begun = true
			return 0, fmt.Errorf("the far end's output is not tminus/1: %d bytes of text, starting %q (is %q a tminus sync --stdio? set TMINUS_REMOTE_COMMAND)",
				len(b.text), safeText(string(b.text[:min(len(b.text), 60)])), b.remote)
		}
		if err != nil {
			// The stream ended before tminus/1 began: what the far end
			// printed (an older tminus's usage error) tells why.
			b.say()
			return 0, err
		}
	}
	return b.r.Read(p)
}

func (b *bannerSkipper) say() {
	if len(b.text) > 0 && b.said != nil {
		b.said(b.text)
		b.said = nil
	}
}

// bannerExcerpt is what a note shows of skipped text: its first lines,
// controls made harmless (it is the far end's, and reaches a terminal).
func bannerExcerpt(text []byte) string {
	const maxLines, maxBytes = 5, 400
	lines := strings.Split(strings.TrimRight(string(text[:min(len(text), maxBytes)]), "\r\n"), "\n")
	more := len(text) > maxBytes
	if len(lines) > maxLines {
		lines, more = lines[:maxLines], true
	}
	out := "  | " + safeText(strings.Join(lines, "\n  | "))
	if more {
		out += fmt.Sprintf("\n  | ... (%d bytes in all)", len(text))
	}
	return out
}

// isEOF says the stream ended: the far end or ssh went away, before or
// after this side's first write (EPIPE: ssh had exited already).
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrClosed) || errors.Is(err, syscall.EPIPE)
}

func ignoreEOF(err error) error {
	if err != nil && (errors.Is(err, os.ErrClosed) || err.Error() == "EOF") {
		return nil
	}
	return err
}

// warnRosterHint says when the roster tells peers to dial this member at
// another address than the one this node listens on: peers that do not
// already know the node dial the hint and never reach it.
func (a *app) warnRosterHint(ctx context.Context, self string) {
	addr, err := a.home.Address()
	if err != nil {
		return
	}
	st, err := a.home.Store(ctx)
	if err != nil {
		return
	}
	s, err := st.IdentityState(ctx)
	if err != nil {
		return
	}
	m := s.MemberByKey(addr)
	if m == nil || m.Enode == "" {
		return
	}
	hint, err1 := enode.ParseV4(m.Enode)
	me, err2 := enode.ParseV4(self)
	if err1 != nil || err2 != nil {
		return
	}
	// After a rotation the roster still names the node of the old key:
	// peers dialing it meet another key and give up.
	if hint.ID() != me.ID() {
		fmt.Fprintf(a.stderr, "note: the roster names %s's node with another key (the one before a rotation?); peers that know only the roster will not reach this node: have them tminus peer add %s\n",
			m.Handle, self)
		return
	}
	// Ports only: a node listening on every interface reports one address
	// of many, and the roster may rightly name another.
	if hint.TCP() == me.TCP() {
		return
	}
	fmt.Fprintf(a.stderr, "note: the roster tells peers to dial %s at %s:%d, but this node listens on %s:%d; peers that do not know it yet will not reach it (listen on the roster's address, or have them tminus peer add %s)\n",
		m.Handle, hint.IP(), hint.TCP(), me.IP(), me.TCP(), self)
}

// unansweredNote says on stderr which part of a sync that ended well did
// not come: blobs the peer was asked for and did not answer in time (a
// hung disk at the far end). The events are in; the evidence is not yet.
func unansweredNote(w io.Writer, stats tsync.Stats) {
	if stats.Unanswered > 0 {
		fmt.Fprintf(w, "sync: %d blob(s) asked for were not answered in time and stay missing here; a later sync or tminus evidence get fetches them\n",
			stats.Unanswered)
	}
}

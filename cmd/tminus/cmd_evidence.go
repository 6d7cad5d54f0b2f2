package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/workspace"
)

func (a *app) evidenceCmd() *cobra.Command {
	c := &cobra.Command{Use: "evidence", Short: "Evidence: files, runbook outputs and alert payloads, kept as content-addressed blobs"}
	c.AddCommand(a.evidenceAddCmd(), a.evidenceListCmd(), a.evidenceGetCmd())
	return c
}

func (a *app) evidenceAddCmd() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:   "add INCIDENT FILE [--name N]",
		Short: "Store a file as evidence and record its hash on the incident",
		Args:  exactArgs(2, "the incident id and a file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := a.incidentID(ctx, args[0])
			if err != nil {
				return err
			}
			fi, err := os.Stat(args[1])
			if err != nil {
				return err
			}
			if fi.Size() > store.MaxBlob {
				return tooBigEvidence(args[1], fi.Size())
			}
			data, err := readAtMost(args[1], store.MaxBlob)
			if err != nil {
				return err
			}
			if len(data) > store.MaxBlob { // it grew since the Stat
				return tooBigEvidence(args[1], int64(len(data)))
			}
			if name == "" {
				name = filepath.Base(args[1])
			}
			b := &domain.EvidenceAdd{Incident: id, Name: name, SHA256: store.BlobHash(data), Size: int64(len(data))}
			if err := valid(b); err != nil {
				return err
			}
			// The blob goes with the event, stored first by whichever process
			// writes this home: no event names a blob its store lacks.
			evs, err := a.write(ctx, [][]byte{data}, b)
			if err != nil {
				return err
			}
			return a.created(wantJSON(cmd), evs[0].ID.String(), nil)
		},
	}
	c.Flags().StringVar(&name, "name", "", "name to show (default: the file's name)")
	return withJSON(c)
}

// tooBigEvidence refuses a file over store.MaxBlob, the most a replica can
// send another: stored here, it would never replicate.
func tooBigEvidence(path string, size int64) error {
	return usageError{fmt.Errorf("%s is %d bytes, over the %d-byte (%d MiB) evidence limit, the most replication carries: "+
		"store it elsewhere and add its hash in a note", path, size, store.MaxBlob, store.MaxBlob>>20)}
}

// readAtMost reads path, at most max+1 bytes: one more than max says it is
// too large without reading all of a file that grew.
func readAtMost(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(max)+1))
}

// evidenceItemView is one line of evidence list.
type evidenceItemView struct {
	Hash      string `json:"hash"`
	Name      string `json:"name"`
	Size      int64  `json:"size"` // -1 when unknown: an alert payload this copy lacks
	MediaType string `json:"media_type"`
	By        string `json:"by"`
	At        string `json:"at"`
	Source    string `json:"source"` // file | runbook | alert
	Event     string `json:"event"`
	Local     bool   `json:"local"` // this copy holds the bytes
}

func (a *app) evidenceListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list INCIDENT [--json]",
		Short: "An incident's evidence: files, runbook outputs, alert payloads",
		Args:  exactArgs(1, "the incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			items, err := a.evidenceList(ctx, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(items)
			}
			w := newTable(a.text())
			fmt.Fprintln(w, "HASH\tSOURCE\tNAME\tSIZE\tTYPE\tBY\tAT")
			for _, e := range items {
				size := fmt.Sprint(e.Size)
				if e.Size < 0 {
					size = "?"
				}
				if !e.Local {
					size += " (not here)"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Hash[:12], e.Source, oneLine(e.Name), size, e.MediaType, e.By, e.At)
			}
			return w.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (a *app) evidenceList(ctx context.Context, ref string) ([]evidenceItemView, error) {
	id, err := a.incidentID(ctx, ref)
	if err != nil {
		return nil, err
	}
	st, err := a.home.Store(ctx)
	if err != nil {
		return nil, err
	}
	s, err := st.State(ctx)
	if err != nil {
		return nil, err
	}
	inc, ok := s.Incidents[id]
	if !ok {
		return nil, fmt.Errorf("incident %s is stored but not folded (tminus verify says why)", id.Short())
	}
	items, err := st.Evidence(ctx, s, inc)
	if err != nil {
		return nil, err
	}
	out := make([]evidenceItemView, 0, len(items))
	for _, e := range items {
		head, size, local, err := st.BlobHead(ctx, e.SHA256, 512)
		if err != nil {
			return nil, err
		}
		v := evidenceItemView{Hash: e.SHA256, Name: e.Name, Size: e.Size, By: e.By, At: ts(e.At),
			Source: e.Source, Event: e.Event.String(), Local: local}
		if local {
			v.Size = size
		}
		v.MediaType = mediaType(e, head, local)
		out = append(out, v)
	}
	return out, nil
}

// mediaType names what a blob holds. A name's extension decides first, so
// every replica shows the same type whether or not it holds the bytes yet;
// a name that says nothing is sniffed from the first bytes where they are.
func mediaType(e domain.EvidenceItem, head []byte, local bool) string {
	switch {
	case e.Source == domain.EvidenceAlert:
		return "application/json"
	case e.Source == domain.EvidenceRunbook:
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(filepath.Ext(e.Name)); t != "" {
		return t
	}
	if local && len(head) > 0 {
		return http.DetectContentType(head)
	}
	return "application/octet-stream"
}

func (a *app) evidenceGetCmd() *cobra.Command {
	var out string
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "get HASH [-o FILE]",
		Short: "Write an evidence blob's exact bytes (stdout unless -o), fetching it from a peer when this copy lacks it",
		Args:  exactArgs(1, "the evidence hash (sha256 hex, or a unique prefix of 6+ characters)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if out != "" && out != "-" {
				if err := checkOutputDir(out); err != nil {
					return err
				}
			}
			st, err := a.home.Store(ctx)
			if err != nil {
				return err
			}
			s, err := st.State(ctx)
			if err != nil {
				return err
			}
			names := namedBlobs(s)
			hash, err := evidenceHash(ctx, st, names, args[0])
			if err != nil {
				return err
			}
			if ok, err := st.HasBlob(ctx, hash); err != nil {
				return err
			} else if !ok {
				if err := a.fetchBlob(ctx, st, s, names[hash], hash, timeout); err != nil {
					return err
				}
			}
			data, err := st.VerifiedBlob(ctx, hash)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err := a.stdout.Write(data)
				return err
			}
			return writeFileAtomic(out, data)
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of stdout")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to look for a peer that has the blob")
	return c
}

// namedBlobs maps each blob the workspace's record names (files and run
// outputs) to the handle of who added it.
func namedBlobs(s *domain.State) map[string]string {
	names := map[string]string{}
	for _, inc := range s.Incidents {
		for _, e := range inc.Evidence {
			names[e.SHA256] = e.By
		}
	}
	for _, p := range s.Proposals {
		if p.Exec != nil {
			names[p.Exec.Output] = p.Exec.By
		}
	}
	return names
}

// evidenceHash resolves a hash or a unique prefix among the blobs the
// workspace's record names and those this copy holds.
func evidenceHash(ctx context.Context, st *store.Store, names map[string]string, ref string) (string, error) {
	p := strings.ToLower(strings.TrimSpace(ref))
	if len(p) < 6 || len(p) > 64 || strings.Trim(p, "0123456789abcdef") != "" {
		return "", usageError{fmt.Errorf("evidence hash %q: want sha256 hex, or a prefix of at least 6 hex characters (tminus evidence list INCIDENT shows them)", ref)}
	}
	found := map[string]bool{}
	if len(p) == 64 {
		found[p] = true
	}
	for h := range names {
		if strings.HasPrefix(h, p) {
			found[h] = true
		}
	}
	local, err := st.BlobHashes(ctx, p, 16)
	if err != nil {
		return "", err
	}
	for _, h := range local {
		found[h] = true
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no evidence %s in this workspace (tminus evidence list INCIDENT shows hashes)", p)
	case 1:
		for h := range found {
			return h, nil
		}
	}
	var all []string
	for h := range found {
		all = append(all, h[:16])
	}
	sort.Strings(all)
	return "", usageError{fmt.Errorf("evidence hash %s is ambiguous: %s (give more characters)", p, strings.Join(all, ", "))}
}

// fetchBlob asks peers for a blob this copy lacks: through the node that
// runs for this home, or else by dialing the member who added it and the
// known peers. It says who has it when none answers.
func (a *app) fetchBlob(ctx context.Context, st *store.Store, s *domain.State, holder, hash string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if holder == "" {
		holder = "a member" // an alert payload: whoever observed it
	}
	urls, err := a.peerURLs(ctx, st, s, holder)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "tminus: this copy lacks %s; asking peers (%s added it)\n", hash[:12], holder)
	missing, err := a.home.Fetch(ctx, []string{hash})
	if errors.Is(err, workspace.ErrNoNode) {
		missing, err = a.fetchDialing(ctx, hash, urls)
	}
	if err != nil {
		return fmt.Errorf("fetch %s: %w", hash[:12], err)
	}
	if len(missing) == 0 {
		return nil
	}
	where := "no enode is known for them"
	if len(urls) > 0 {
		where = "their node (" + urls[0] + ") did not supply it"
	}
	return fmt.Errorf("this copy lacks blob %s and no peer supplied it within %s: %s has it, but %s; try again when they are online (tminus sync ENODE)", hash[:12], timeout, holder, where)
}

func (a *app) fetchDialing(ctx context.Context, hash string, urls []string) ([]string, error) {
	if len(urls) == 0 {
		return []string{hash}, nil
	}
	n, err := a.node(ctx, "")
	if err != nil {
		return nil, err
	}
	defer n.Stop()
	return n.Fetch(ctx, []string{hash}, urls)
}

// peerURLs are the enodes to ask for a blob, one per node: the known peers,
// connected first, then the holder's roster hint, then the other members'.
func (a *app) peerURLs(ctx context.Context, st *store.Store, s *domain.State, holder string) ([]string, error) {
	// One address per node, the freshest first: devp2p will not redial a
	// node it just failed to reach for half a minute, so a stale roster hint
	// tried first would shut out the address peer add recorded.
	var urls []string
	seen := map[enode.ID]bool{}
	if self, err := a.home.Enode(); err == nil {
		if id, err := workspace.EnodeID(self); err == nil {
			seen[id] = true // never this device's own node
		}
	}
	add := func(u string) {
		id, err := workspace.EnodeID(u)
		if err == nil && !seen[id] {
			seen[id] = true
			urls = append(urls, u)
		}
	}
	peers, err := st.Peers(ctx)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(peers, func(i, j int) bool { return peers[i].Connected && !peers[j].Connected })
	for _, p := range peers {
		add(p.Enode)
	}
	if m, ok := s.Members[holder]; ok {
		add(m.Enode)
	}
	for _, m := range s.Members {
		add(m.Enode)
	}
	return urls, nil
}

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
)

func (a *app) logCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "log [--json]",
		Short: "The signed events, in fold order",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.home.Store(cmd.Context())
			if err != nil {
				return err
			}
			s, err := st.State(cmd.Context())
			if err != nil {
				return err
			}
			rejected := map[domain.ID]string{}
			for _, r := range s.Rejected {
				rejected[r.Event] = r.Reason
			}
			buf := bufio.NewWriter(a.stdout)
			defer buf.Flush()
			enc := json.NewEncoder(buf) // signed lines: byte-exact, never textWriter
			w := textWriter{buf}
			enc.SetEscapeHTML(false)
			return st.Log(cmd.Context(), func(e *domain.Event, skewed bool) error {
				if asJSON {
					return enc.Encode(logLine{domain.NewLine(e), rejected[e.ID], skewed})
				}
				note := ""
				if r, ok := rejected[e.ID]; ok {
					note = "  REJECTED: " + r
				}
				if skewed {
					note += "  SKEWED"
				}
				_, err := fmt.Fprintf(w, "%s %s %-8s #%-4d L%-5d %-18s %s%s\n", e.ID.Short(),
					time.UnixMilli(int64(e.Time)).Format("2006-01-02 15:04:05"), s.Handle(e.Author), e.Seq, e.Lamport,
					e.Kind, summary(e.Body), note)
				return err
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "one JSON object a line (the bundle format, with this replica's rejected and skewed marks)")
	return c
}

// logLine is a bundle line plus what this replica alone judged of the
// event. The marks sit outside raw, so a log saved with --json still
// imports and verifies as a bundle (ParseLine ignores them).
type logLine struct {
	domain.Line
	Rejected string `json:"rejected,omitempty"` // why the fold did not count it
	Skewed   bool   `json:"skewed,omitempty"`   // signed further ahead of its arrival than the skew limit
}

func summary(body []byte) string {
	s := string(body)
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

// stateHashCmd takes --json as every command that shows something does
// (CLI.md): {"state_hash"}, the key anchor --json uses for the same digest.
func (a *app) stateHashCmd() *cobra.Command {
	return withJSON(&cobra.Command{
		Use:   "state-hash [--json]",
		Short: "Digest of the folded state: equal on replicas holding the same events",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			h, err := s.Hash()
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return a.printJSON(map[string]string{"state_hash": h})
			}
			fmt.Fprintln(a.stdout, h)
			return nil
		},
	})
}

package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

func (a *app) alertCmd() *cobra.Command {
	c := &cobra.Command{Use: "alert", Short: "Alerts: raise, list, acknowledge"}
	c.AddCommand(a.alertRaiseCmd(), a.alertListCmd(), a.alertAckCmd())
	return c
}

func (a *app) alertRaiseCmd() *cobra.Command {
	var r domain.AlertObserve
	var labels []string
	var resolved, asJSON bool
	c := &cobra.Command{
		Use:   "raise --title T [--severity P1..P4] [--source S] [--fingerprint F] [--label k=v]...",
		Short: "Raise (observe) an alert as this member",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if r.Labels, err = parseLabels(labels); err != nil {
				return err
			}
			if r.Fingerprint == "" {
				r.Fingerprint = fmt.Sprintf("%x", sha256.Sum256([]byte(r.Source+"\xff"+r.Title)))[:16]
			}
			r.Status = domain.AlertFiring
			if resolved {
				r.Status = domain.AlertResolved
			}
			ev, err := a.append(cmd.Context(), &r)
			if err != nil {
				return err
			}
			// The alert's id is its fingerprint's, not the event's: every
			// member who observes the same alert adds to one. --json also
			// names the observation's event, for whoever checks it arrived.
			id := domain.AlertID(r.Fingerprint)
			return a.created(asJSON, id.String(), map[string]any{"fingerprint": r.Fingerprint, "event": ev.ID.String()})
		},
	}
	c.Flags().StringVar(&r.Title, "title", "", "what is wrong")
	c.Flags().StringVar(&r.Severity, "severity", "", "P1..P4")
	c.Flags().StringVar(&r.Source, "source", "manual", "where it came from")
	c.Flags().StringVar(&r.Fingerprint, "fingerprint", "", "identity of the alert across sources (default: from source and title)")
	c.Flags().StringArrayVar(&labels, "label", nil, "k=v label (repeatable)")
	c.Flags().BoolVar(&resolved, "resolved", false, "report the alert as resolved")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("title")
	return c
}

// parseLabels reads repeated --label k=v flags; with none it returns nil.
func parseLabels(flags []string) (map[string]string, error) {
	return parseKV("label", "key=value", flags)
}

func (a *app) alertListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: "List alerts, newest first",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			st, err := a.home.Store(cmd.Context())
			if err != nil {
				return err
			}
			fs, err := alertFirings(cmd.Context(), st, s)
			if err != nil {
				return err
			}
			return a.listAlerts(s, fs, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (a *app) listAlerts(s *domain.State, fs map[domain.ID]*domain.Firing, asJSON bool) error {
	alerts := s.SortedAlerts()
	if asJSON {
		return a.printJSON(views(alerts, func(al *domain.Alert) alertView { return viewAlert(s, al, fs[al.ID]) }))
	}
	w := a.table("ID\tSEV\tSTATUS\tSEEN\tTITLE\tSOURCE\tACKED")
	for _, al := range alerts {
		// Title and source are a sender's: a line feed or tab in them
		// split the row and forged another under it.
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", al.ID.Short(), orDash(al.Severity), al.Status,
			s.Corroboration(al), oneLine(al.Title), oneLine(al.Source), orDash(ackedCell(al, fs[al.ID])))
	}
	return w.Flush()
}

// ackedCell is who acknowledged the alert's current firing; an alert acked
// before it resolved and fired again says so without a name in the cell's
// first place, where a glance reads "someone has it".
func ackedCell(al *domain.Alert, f *domain.Firing) string {
	now := f.Ackers()
	if len(now) > 0 || len(al.Acks) == 0 {
		return strings.Join(now, ",")
	}
	return "- (earlier firing: " + strings.Join(al.Ackers(), ",") + ")"
}

// alertFirings reads the current firing of every alert s holds with an
// acknowledgement (domain.State.Firings): an ack counts for display only
// if it came after the alert last started firing. Alerts nobody acked
// have nothing to read.
func alertFirings(ctx context.Context, st *store.Store, s *domain.State) (map[domain.ID]*domain.Firing, error) {
	var ids []domain.ID
	for id, al := range s.Alerts {
		if len(al.Acks) > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return map[domain.ID]*domain.Firing{}, nil
	}
	evs, err := st.SubjectEvents(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("reading the alerts' events: %w", err)
	}
	return s.Firings(evs), nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) alertAckCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "ack ALERT",
		Short: "Acknowledge an alert (by id prefix or fingerprint)",
		Args:  exactArgs(1, "the alert id or fingerprint"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.findAlert(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := a.reackRefusal(cmd.Context(), id); err != nil {
				return err
			}
			// Gated: acknowledging twice is stored but refused by the fold,
			// and the member should hear so.
			ev, err := a.gated(cmd.Context(), &domain.AlertAck{Alert: id})
			if err != nil {
				return err
			}
			return a.created(asJSON, ev.ID.String(), map[string]any{"alert": id.String()})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// reackRefusal explains why this member cannot acknowledge an alert that
// fired again after they acknowledged it: the fold keeps one ack per
// member and alert (every replica, old and new, must agree on what
// counts), so the second would be stored and refused. Any other refusal
// is left to the fold's own words (gated).
func (a *app) reackRefusal(ctx context.Context, id domain.ID) error {
	s, err := a.state(ctx)
	if err != nil {
		return err
	}
	addr, err := a.home.Address()
	if err != nil {
		return err
	}
	me, ok := s.Keys[addr]
	al := s.Alerts[id]
	if !ok || al == nil || !slices.Contains(al.Ackers(), me) {
		return nil
	}
	st, err := a.home.Store(ctx)
	if err != nil {
		return err
	}
	evs, err := st.SubjectEvents(ctx, []domain.ID{id})
	if err != nil {
		return fmt.Errorf("reading the alert's events: %w", err)
	}
	f := s.Firings(evs)[id]
	if f == nil || f.Refired == 0 || slices.Contains(f.Ackers(), me) {
		return nil
	}
	return fmt.Errorf("%s acknowledged an earlier firing of alert %s; it fired again at %s, but an alert keeps one acknowledgement per member, so a second would not count: ask another responder to ack this firing, or work it in an incident (tminus incident declare --from-alert %s)",
		me, id.Short(), ts(f.Refired), id.Short())
}

// findAlert resolves an alert id prefix or fingerprint. Alerts have no
// event of their own to index (many observations make one alert), so it
// looks in the folded state.
func (a *app) findAlert(ctx context.Context, ref string) (domain.ID, error) {
	s, err := a.state(ctx)
	if err != nil {
		return domain.ID{}, err
	}
	return a.alertID(ctx, s, ref)
}

package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/runbooks"
	"github.com/tminus-ir/tminus/store"
)

func init() {
	extraCommandFuncs = append(extraCommandFuncs, (*app).drillCmd)
}

// MaxDrillSpeed bounds --speed: an hour of scenario a second. The drill's
// signed plan records the speed, and the domain refuses any other.
const MaxDrillSpeed = domain.MaxDrillSpeed

// drillPoll is how often a running drill refreshes the state.
const drillPoll = 200 * time.Millisecond

// drillGrace lets an event stamped just before a deadline arrive (from a
// peer, or from another process) before the expectation counts as missed.
const drillGrace = 300 * time.Millisecond

func (a *app) drillCmd() *cobra.Command {
	c := &cobra.Command{Use: "drill", Short: "Drills: rehearse a scenario against the team"}
	var speed float64
	var asJSON, leaveOpen bool
	runc := &cobra.Command{
		Use:   "run SCENARIO [--speed X] [--json]",
		Short: "Declare a drill incident, inject on schedule, check expectations, print the score card",
		Long: "SCENARIO is a scenario file or the name of a shipped one (" + strings.Join(runbooks.ShippedScenarios(), ", ") + ").\n" +
			"Offsets and deadlines are divided by --speed. When the drill is over the facilitator resolves its incident,\n" +
			"unless the team did or --leave-open is given; drill metrics do not count the facilitator's resolution.",
		Args: exactArgs(1, "a scenario file or the name of a shipped scenario"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := domain.ValidDrillSpeed(speed); err != nil {
				return usageError{fmt.Errorf("--%w", err)}
			}
			sc, ref, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			card, err := a.runDrill(cmd.Context(), sc, sc.Plan(ref, speed), leaveOpen)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(card)
			}
			return a.printScoreCard(card)
		},
	}
	runc.Flags().Float64Var(&speed, "speed", 1, "run the scenario X times faster (0.001 <= X <= 3600)")
	runc.Flags().BoolVar(&asJSON, "json", false, "print the score card as JSON")
	runc.Flags().BoolVar(&leaveOpen, "leave-open", false, "leave the drill's incident open when the drill is over, for the team to go on with it")
	c.AddCommand(runc, a.drillListCmd())
	return c
}

// loadScenario reads a scenario file, or a shipped scenario by name when
// there is no such file. name is how the drill's plan records it: the
// shipped scenario's name or the file's base name, never a local path.
func loadScenario(ref string) (sc *runbooks.Scenario, name string, err error) {
	data, err := os.ReadFile(ref)
	if err == nil {
		sc, err := runbooks.ParseScenario(ref, data)
		return sc, planName(filepath.Base(ref)), err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("scenario %s: %w", ref, err)
	}
	sc, ok, err := runbooks.ShippedScenario(ref)
	if ok {
		return sc, ref, err
	}
	return nil, "", fmt.Errorf("scenario %s: no such file, and no shipped scenario of that name (shipped: %s)",
		ref, strings.Join(runbooks.ShippedScenarios(), ", "))
}

// planName fits a file name into what a plan may record: valid UTF-8 of at
// most 200 bytes.
func planName(name string) string {
	name = strings.ToValidUTF8(name, "?")
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// scoreCard is a drill's score as drill run prints it at the end.
type scoreCard struct {
	Incident     string       `json:"incident"`
	Scenario     string       `json:"scenario"`
	Speed        float64      `json:"speed"`
	Expectations []expectView `json:"expectations"`
	Met          int          `json:"met"`
	Total        int          `json:"total"`
}

type expectView struct {
	What   string   `json:"what"`
	Within string   `json:"within"`
	Met    bool     `json:"met"`
	Score  string   `json:"score"`   // met, late or missed (domain.JudgeDrill)
	AfterS *float64 `json:"after_s"` // scenario seconds from the start; null when not reached while the drill ran
	By     string   `json:"by,omitempty"`
	At     string   `json:"at,omitempty"` // when it was reached, by the signer's clock
}

// newScoreCard is the card of a drill judged over.
func newScoreCard(inc domain.ID, scenario string, sc domain.DrillScore) *scoreCard {
	card := &scoreCard{Incident: inc.String(), Scenario: scenario, Speed: sc.Speed, Total: len(sc.Results), Met: sc.Met(),
		Expectations: []expectView{}}
	for _, r := range sc.Results {
		ev := expectView{What: r.What, Within: shortDur(time.Duration(r.WithinMs) * time.Millisecond), Met: r.Verdict == domain.DrillMet,
			Score: r.Verdict}
		if r.Verdict == domain.DrillMet || r.Verdict == domain.DrillLate {
			after := scenarioAfter(sc, r.At)
			ev.AfterS, ev.By, ev.At = &after, r.By, ts(r.At)
		}
		card.Expectations = append(card.Expectations, ev)
	}
	return card
}

// scenarioAfter is how long after the drill's start at (unix ms) came, in
// scenario seconds to a tenth; zero when at is earlier (clock skew).
func scenarioAfter(sc domain.DrillScore, at int64) float64 {
	after := float64(at-sc.Start) / 1000 * sc.Speed
	return math.Max(0, math.Round(after*10)/10)
}

// runDrill declares the drill incident with its plan, injects on schedule
// and watches the state until domain.JudgeDrill says the drill is over.
func (a *app) runDrill(ctx context.Context, sc *runbooks.Scenario, plan *domain.DrillPlan, leaveOpen bool) (*scoreCard, error) {
	st, err := a.home.Store(ctx)
	if err != nil {
		return nil, err
	}
	signer, err := a.home.Signer(ctx)
	if err != nil {
		return nil, err
	}
	peers, err := a.simulatedPeers(ctx, sc)
	if err != nil {
		return nil, err
	}

	decl, err := st.Append(ctx, signer, &domain.IncidentDeclare{Title: sc.Name, Severity: sc.Severity, Drill: true, Plan: plan})
	if err != nil {
		return nil, err
	}
	start := time.UnixMilli(int64(decl.Time))
	view, err := a.view(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := view.State().Incidents[decl.ID]; !ok {
		if err := checkRejected(view.State(), decl.ID); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("drill incident %s did not fold", decl.ID.Short())
	}
	fmt.Fprintf(a.textErr(), "DRILL %s: incident %s, speed %gx\n", sc.Name, decl.ID, plan.Speed)

	// From here on an interrupt ends the drill, wherever it lands: during an
	// inject or a refresh too, which returned the bare context error and left
	// the drill's incident open among real work.
	interrupted := func(err error) error {
		if ctx.Err() != nil {
			return a.endInterruptedDrill(context.WithoutCancel(ctx), view, decl.ID)
		}
		return err
	}
	tick := time.NewTicker(drillPoll)
	defer tick.Stop()
	next := 0
	shown := make([]string, len(plan.Expect)) // the verdict last printed for each
	for {
		now := a.now() // the clock the drill incident was signed with
		for next < len(sc.Injects) && !now.Before(start.Add(plan.Scaled(sc.Injects[next].At))) {
			if err := a.inject(ctx, view, peers, decl.ID, sc.Injects[next], next); err != nil {
				return nil, interrupted(fmt.Errorf("inject %d (line %d): %w", next+1, sc.Injects[next].Line, err))
			}
			next++
		}
		if _, err := view.Refresh(ctx); err != nil {
			return nil, interrupted(err)
		}
		// Judged as of now less the grace, so that an event signed just
		// before a deadline can still arrive and count.
		score, ok := domain.ScoreDrill(view.State(), view.State().Incidents[decl.ID], now.Add(-drillGrace).UnixMilli())
		if !ok {
			return nil, fmt.Errorf("drill incident %s lost its plan", decl.ID.Short())
		}
		for i, r := range score.Results {
			if r.Verdict != domain.DrillPending && r.Verdict != shown[i] {
				shown[i] = r.Verdict
				fmt.Fprintf(a.textErr(), "  %s %s (within %s)\n", strings.ToUpper(r.Verdict), r.What,
					shortDur(time.Duration(r.WithinMs)*time.Millisecond))
			}
		}
		if score.Over {
			if !leaveOpen {
				a.endFinishedDrill(ctx, view, decl.ID)
			}
			return newScoreCard(decl.ID, sc.Name, score), nil
		}
		select {
		case <-ctx.Done():
			return nil, interrupted(ctx.Err())
		case <-tick.C:
		}
	}
}

// endInterruptedDrill resolves the incident of a drill stopped before it
// ended (Ctrl-C): left open, it sat among real work in every incident list
// and cockpit for good. The facilitator resolves it, which drill metrics do
// not count as the team's resolution.
func (a *app) endInterruptedDrill(ctx context.Context, view *store.View, id domain.ID) error {
	if _, err := view.Refresh(ctx); err != nil {
		return err
	}
	if inc := view.State().Incidents[id]; inc == nil || !inc.Open() {
		return fmt.Errorf("drill interrupted; its incident %s was already resolved", id.Short())
	}
	if _, err := a.gated(ctx, &domain.IncidentStatus{Incident: id, Status: domain.StatusResolved}); err != nil {
		return fmt.Errorf("drill interrupted; resolving its incident %s failed: %w", id.Short(), err)
	}
	return fmt.Errorf("drill interrupted; its incident %s is resolved (by the facilitator, so drill metrics do not count it) "+
		"and what nobody reached is missed (tminus drill list shows the score)", id.Short())
}

// endFinishedDrill resolves the incident of a drill that is over, unless
// the team resolved it: a drill whose deadlines passed sat open among real
// work in every incident list and cockpit until someone thought to resolve
// it. Its end is fixed by then, so a resolution now changes no score. A
// failure costs the score card nothing; it is said on stderr.
func (a *app) endFinishedDrill(ctx context.Context, view *store.View, id domain.ID) {
	if inc := view.State().Incidents[id]; inc == nil || !inc.Open() {
		return
	}
	if _, err := a.gated(ctx, &domain.IncidentStatus{Incident: id, Status: domain.StatusResolved}); err != nil {
		fmt.Fprintf(a.textErr(), "drill over; resolving its incident %s failed: %v (tminus incident status %s resolved)\n", id.Short(), err, id.Short())
		return
	}
	fmt.Fprintf(a.textErr(), "drill over; its incident %s is resolved by the facilitator (drill metrics do not count it)\n", id.Short())
}

// inject appends one scheduled inject as signed events. Alert fingerprints
// get the drill's id appended, so a scenario run twice raises fresh alerts.
func (a *app) inject(ctx context.Context, view *store.View, peers map[string]domain.Signer, inc domain.ID, in runbooks.Inject, i int) error {
	st, err := a.home.Store(ctx)
	if err != nil {
		return err
	}
	signer, err := a.home.Signer(ctx)
	if err != nil {
		return err
	}
	if in.Peer != nil {
		return a.injectPeer(ctx, st, view, peers[in.Peer.As], inc, in)
	}
	if in.Alert == nil {
		_, err := st.Append(ctx, signer, &domain.Note{Incident: inc, Text: in.Note})
		if err == nil {
			fmt.Fprintf(a.textErr(), "  T+%s note: %s\n", shortDur(in.At), in.Note)
		}
		return err
	}
	fp := in.Alert.Fingerprint
	if fp == "" {
		fp = fmt.Sprintf("drill-%d", i+1)
	}
	fp += "@" + inc.Short()
	obs := &domain.AlertObserve{Fingerprint: fp, Title: in.Alert.Title, Source: in.Alert.Source, Severity: in.Alert.Severity,
		Status: domain.AlertFiring, Labels: in.Alert.Labels}
	if len(obs.Labels) == 0 {
		obs.Labels = nil
	}
	if _, err := st.AppendMany(ctx, signer, []domain.Body{obs, &domain.IncidentLink{Incident: inc, Alert: domain.AlertID(fp)}}); err != nil {
		return err
	}
	fmt.Fprintf(a.textErr(), "  T+%s alert %s: %s\n", shortDur(in.At), domain.AlertID(fp).Short(), in.Alert.Title)
	return nil
}

// injectPeer appends a peer action signed by the simulated peer's own key.
// What the fold would refuse as a no-op (a severity the incident already
// has, an alert the peer already acknowledged) is skipped and said so.
func (a *app) injectPeer(ctx context.Context, st *store.Store, view *store.View, signer domain.Signer, inc domain.ID, in runbooks.Inject) error {
	if signer == nil {
		return fmt.Errorf("no key for simulated peer %s", in.Peer.As)
	}
	if _, err := view.Refresh(ctx); err != nil {
		return err
	}
	s := view.State()
	p := in.Peer
	var bodies []domain.Body
	var what string
	switch p.Action {
	case runbooks.PeerNote:
		bodies, what = append(bodies, &domain.Note{Incident: inc, Text: p.Text}), "note: "+p.Text
	case runbooks.PeerTask:
		bodies, what = append(bodies, &domain.TaskAdd{Incident: inc, Title: p.Title}), "task: "+p.Title
	case runbooks.PeerSeverity:
		what = "severity " + p.Severity
		if i := s.Incidents[inc]; i == nil || i.Severity != p.Severity {
			bodies = append(bodies, &domain.IncidentSeverity{Incident: inc, Severity: p.Severity})
		}
	case runbooks.PeerAck:
		what = "acknowledged the drill's alerts"
		if i := s.Incidents[inc]; i != nil {
			for _, id := range i.Alerts {
				if al := s.Alerts[id]; al != nil && !containsHandle(al.Ackers(), p.As) {
					bodies = append(bodies, &domain.AlertAck{Alert: id})
				}
			}
		}
	default:
		return fmt.Errorf("peer action %q is not supported", p.Action)
	}
	if len(bodies) == 0 {
		fmt.Fprintf(a.textErr(), "  T+%s peer %s: %s (nothing to do, skipped)\n", shortDur(in.At), p.As, what)
		return nil
	}
	if _, err := st.AppendMany(ctx, signer, bodies); err != nil {
		return err
	}
	fmt.Fprintf(a.textErr(), "  T+%s peer %s: %s\n", shortDur(in.At), p.As, what)
	return nil
}

func containsHandle(list []string, h string) bool {
	for _, x := range list {
		if x == h {
			return true
		}
	}
	return false
}

// simulatedRoles are the roles a drill's simulated peer holds: reporter so
// it can write, observer so the fold never counts it as a responder and
// lets it write only on drill incidents.
var simulatedRoles = []string{domain.RoleObserver, domain.RoleReporter}

// simulatedKey derives a simulated peer's key from the facilitator's key
// and the peer's handle: nothing to store, the same key on every run, and
// nobody without the facilitator's key can sign as the peer.
func simulatedKey(home *ecdsa.PrivateKey, handle string) (domain.Signer, error) {
	seed := crypto.Keccak256([]byte("tminus/drill-peer/"), crypto.FromECDSA(home), []byte(handle))
	k, err := crypto.ToECDSA(seed)
	if err != nil {
		return nil, fmt.Errorf("derive a key for simulated peer %s: %w", handle, err)
	}
	return domain.KeySigner{Key: k}, nil
}

// simulatedPeers makes sure every simulated peer the scenario acts as is
// on the roster with its derived key and simulatedRoles, proposing the
// missing ones. A proposal that needs other members' approvals stops the
// drill before anything is declared, saying what to approve.
func (a *app) simulatedPeers(ctx context.Context, sc *runbooks.Scenario) (map[string]domain.Signer, error) {
	handles := sc.Peers()
	out := map[string]domain.Signer{}
	if len(handles) == 0 {
		return out, nil
	}
	// The peers' keys derive from the facilitator's own, which an agent
	// never hands out: a drill with simulated peers unlocks the keystore.
	key, err := a.home.Key()
	if err != nil {
		return nil, fmt.Errorf("this scenario's simulated peers (%s) sign with keys derived from this home's own key, which the agent never hands out, so the drill unlocks the keystore itself: %w",
			strings.Join(handles, ", "), err)
	}
	view, err := a.view(ctx)
	if err != nil {
		return nil, err
	}
	var waiting []string
	for _, h := range handles {
		signer, err := simulatedKey(key, h)
		if err != nil {
			return nil, err
		}
		out[h] = signer
		addr := signer.Address()
		s := view.State()
		if m := s.Members[h]; m != nil && m.Active {
			if s.Keys[addr] != h || strings.Join(m.Roles, ",") != strings.Join(simulatedRoles, ",") {
				return nil, fmt.Errorf("the roster already has a member %s who is not this facilitator's simulated peer "+
					"(a simulated peer holds only %s with a key derived from the facilitator's); rename the peer in the scenario",
					h, strings.Join(simulatedRoles, " and "))
			}
			continue
		}
		if owner, ok := s.Keys[addr]; ok && s.Members[owner].Active {
			return nil, fmt.Errorf("simulated peer %s: its key already belongs to %s", h, owner)
		}
		var pending *domain.RosterProposal
		for _, p := range s.Roster {
			if !p.Applied && p.Void == "" && p.Action == domain.ActionAdd && p.Member.Address == addr && p.Member.Handle == h {
				pending = p
			}
		}
		if pending == nil {
			ev, err := a.gated(ctx, &domain.MemberPropose{Action: domain.ActionAdd,
				Member: domain.MemberSpec{Address: addr, Handle: h, Roles: simulatedRoles}})
			if err != nil {
				return nil, fmt.Errorf("add simulated peer %s to the roster: %w", h, err)
			}
			if _, err := view.Refresh(ctx); err != nil {
				return nil, err
			}
			if p := view.State().Roster[ev.ID]; p != nil && p.Applied {
				fmt.Fprintf(a.textErr(), "drill: added simulated peer %s (%s) to the roster\n", h, strings.Join(simulatedRoles, "+"))
				continue
			}
			pending = view.State().Roster[ev.ID]
		}
		if pending == nil {
			return nil, fmt.Errorf("roster proposal for simulated peer %s did not fold", h)
		}
		waiting = append(waiting, fmt.Sprintf("%s (tminus member approve %s)", h, pending.ID))
	}
	if len(waiting) > 0 {
		return nil, fmt.Errorf("the scenario's simulated peers need the roster quorum before the drill can run: %s; "+
			"run the drill again once other members have approved", strings.Join(waiting, ", "))
	}
	return out, nil
}

func (a *app) printScoreCard(c *scoreCard) error {
	out := a.text()
	fmt.Fprintf(out, "DRILL %s\nincident %s (speed %gx)\n", c.Scenario, c.Incident, c.Speed)
	w := newTable(out)
	for _, e := range c.Expectations {
		state, after := strings.ToUpper(e.Score), "not reached"
		if e.AfterS != nil {
			after = "after " + shortDur(time.Duration(*e.AfterS*float64(time.Second)))
		}
		by := ""
		if e.By != "" {
			by = "by " + e.By
		}
		if len(e.At) >= len("2006-01-02T15:04:05") {
			by = strings.TrimSpace(by + " at " + e.At[11:19] + " UTC")
		}
		fmt.Fprintf(w, "  %s\t%s\twithin %s\t%s\t%s\n", state, e.What, e.Within, after, by)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "score: %d of %d met\n", c.Met, c.Total)
	return err
}

// shortDur prints 5m rather than 5m0s.
func shortDur(d time.Duration) string {
	s := d.Round(100 * time.Millisecond).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

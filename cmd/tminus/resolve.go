package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/workspace"
)

// append signs body as this device and stores it (write).
func (a *app) append(ctx context.Context, body domain.Body) (*domain.Event, error) {
	evs, err := a.write(ctx, nil, body)
	if err != nil {
		return nil, err
	}
	return evs[0], nil
}

// write signs bodies as this device and stores them with blobs, through the
// home's writer when one runs (workspace.Home.Write). A body the domain
// refuses whatever the state is wrong usage (valid). It refuses next when
// this key's events would be stored but not counted (domain.State.MayWrite):
// the command would print an id that never shows anywhere.
func (a *app) write(ctx context.Context, blobs [][]byte, bodies ...domain.Body) ([]*domain.Event, error) {
	for _, b := range bodies {
		if err := valid(b); err != nil {
			return nil, err
		}
	}
	if err := a.mayWrite(ctx); err != nil {
		return nil, err
	}
	return a.home.Write(ctx, blobs, bodies...)
}

// mayWrite asks the command's view when it has one, else homeMayWrite.
func (a *app) mayWrite(ctx context.Context) error {
	if a.folded == nil {
		return homeMayWrite(ctx, a.home)
	}
	s, err := a.state(ctx)
	if err != nil {
		return err
	}
	return precheck(a, s, nil)
}

// homeMayWrite asks the identity events alone (store.IdentityState): a note
// or a webhook delivery pays well under a millisecond for the check instead
// of a fold.
func homeMayWrite(ctx context.Context, h *workspace.Home) error {
	addr, err := h.Address()
	if err != nil {
		return err
	}
	st, err := h.Store(ctx)
	if err != nil {
		return err
	}
	s, err := st.IdentityState(ctx)
	if err != nil {
		return err
	}
	return s.MayWrite(addr)
}

// view is the store as this command sees it. The store is folded once, on
// first use (newest snapshot plus the tail); each later call folds only the
// events that arrived since, this command's own writes or a sync's. Folding
// is the part of a command whose cost grows with the store, so a command
// that looks up, checks before it signs and reports after it wrote pays
// for it once. One command, one goroutine: a view is not shared.
func (a *app) view(ctx context.Context) (*store.View, error) {
	if a.folded != nil {
		_, err := a.folded.Refresh(ctx)
		return a.folded, err
	}
	st, err := a.home.Store(ctx)
	if err != nil {
		return nil, err
	}
	v, err := st.NewView(ctx)
	if err != nil {
		return nil, err
	}
	a.folded = v
	return v, nil
}

// state is the workspace state now (view). It is the view's, brought
// forward in place as events arrive: read it, never change it.
func (a *app) state(ctx context.Context) (*domain.State, error) {
	v, err := a.view(ctx)
	if err != nil {
		return nil, err
	}
	return v.State(), nil
}

// timeline reads an incident's timeline as s describes it.
func (a *app) timeline(ctx context.Context, s *domain.State, inc *domain.Incident) ([]domain.Entry, error) {
	st, err := a.home.Store(ctx)
	if err != nil {
		return nil, err
	}
	return st.Timeline(ctx, s, inc)
}

// resolve turns an id prefix into the id of an event of one of kinds,
// with an error that says where to find ids. It uses the id index, so it
// costs the same on any size of store.
func (a *app) resolve(ctx context.Context, prefix, what, listCmd string, kinds ...string) (domain.ID, error) {
	st, err := a.home.Store(ctx)
	if err != nil {
		return domain.ID{}, err
	}
	id, err := st.Resolve(ctx, prefix, kinds...)
	if errors.Is(err, store.ErrNotFound) {
		if other := otherKind(ctx, st, prefix, kinds); other != "" {
			return id, fmt.Errorf("%s is %s, not %s (%s shows ids)", prefix, other, article(what), listCmd)
		}
		return id, fmt.Errorf("%s %s not found (%s shows ids)", what, prefix, listCmd)
	}
	// An id that cannot name one event (malformed, or a prefix several
	// share) is fixed on the command line: wrong usage, exit 2, as in
	// evidence get. Not found depends on what has arrived: exit 1.
	if errors.Is(err, store.ErrBadID) || errors.Is(err, store.ErrAmbiguous) {
		return id, usageError{fmt.Errorf("%s: %w (%s shows ids)", what, err, listCmd)}
	}
	if err != nil {
		return id, fmt.Errorf("%s: %w", what, err)
	}
	return id, nil
}

// idKinds names what an id of each kind a command takes is, for a prefix
// given where another is wanted (a task id to incident show, an incident
// id to task done).
var idKinds = []struct{ kind, what string }{
	{domain.KindIncidentDeclare, "an incident"},
	{domain.KindTaskAdd, "a task"},
	{domain.KindTimerSet, "a timer"},
	{domain.KindNote, "a note"},
	{domain.KindEvidenceAdd, "an evidence record"},
	{domain.KindRunbookPropose, "a runbook proposal"},
}

// article puts "a" or "an" before a noun.
func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// otherKind is what prefix names when it is the id of one event of another
// kind than those wanted; "" when it names none (or several).
func otherKind(ctx context.Context, st *store.Store, prefix string, wanted []string) string {
	for _, k := range idKinds {
		if slices.Contains(wanted, k.kind) {
			continue
		}
		if _, err := st.Resolve(ctx, prefix, k.kind); err == nil {
			return k.what
		}
	}
	return ""
}

func (a *app) incidentID(ctx context.Context, prefix string) (domain.ID, error) {
	return a.resolve(ctx, prefix, "incident", "tminus incident list", domain.KindIncidentDeclare)
}

// alertID accepts an alert id prefix or a fingerprint.
func (a *app) alertID(ctx context.Context, s *domain.State, ref string) (domain.ID, error) {
	if al, ok := s.Alerts[domain.AlertID(ref)]; ok {
		return al.ID, nil
	}
	p := strings.TrimPrefix(strings.ToLower(ref), "0x")
	if len(p) < store.MinPrefix {
		return domain.ID{}, usageError{fmt.Errorf("alert %q: give at least %d hex characters of its id, or its fingerprint", ref, store.MinPrefix)}
	}
	var found []domain.ID
	for id := range s.Alerts {
		if strings.HasPrefix(id.String(), p) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 0:
		return domain.ID{}, fmt.Errorf("alert %s not found (tminus alert list shows ids)", ref)
	case 1:
		return found[0], nil
	}
	return domain.ID{}, usageError{fmt.Errorf("alert %s is ambiguous: give more characters", ref)}
}

// member finds an active member by handle or device address.
func member(s *domain.State, ref string) (*domain.Member, error) {
	if m, ok := s.Members[ref]; ok && m.Active {
		return m, nil
	}
	if common.IsHexAddress(ref) {
		key := common.HexToAddress(ref)
		if m := s.MemberByKey(key); m != nil && m.Active {
			// A member removed and added back with a new key: the old key,
			// perhaps a thief's, no longer stands for them (member remove
			// OLDKEY would have removed the honest member's new key).
			if c, revoked := s.Revoked(key); revoked {
				return nil, fmt.Errorf("%s is %s's revoked key (cut at seq %d): it names no one now; %s is on the roster with another key: name them by handle or that key",
					key.Hex(), m.Handle, c.Seq, m.Handle)
			}
			return m, nil
		}
	}
	if m := formerMember(s, ref); m != nil {
		return nil, fmt.Errorf("%s is no longer a member: the roster removed them (tminus member list shows members)", m.Handle)
	}
	return nil, fmt.Errorf("member %s not found (tminus member list shows members)", ref)
}

// formerMember is the removed member ref names, or nil.
func formerMember(s *domain.State, ref string) *domain.Member {
	if m, ok := s.Members[ref]; ok && !m.Active {
		return m
	}
	if common.IsHexAddress(ref) {
		if m := s.MemberByKey(common.HexToAddress(ref)); m != nil && !m.Active {
			return m
		}
	}
	return nil
}

// memberHandle checks a handle or address against the roster when it can.
func (a *app) memberHandle(ctx context.Context, ref string) (string, error) {
	s, err := a.state(ctx)
	if err != nil {
		return "", err
	}
	m, err := member(s, ref)
	if err != nil {
		return "", err
	}
	return m.Handle, nil
}

// checkRejected turns the fold's verdict on a just-appended event into an
// error: the event is stored and signed, but does not count.
func checkRejected(s *domain.State, id domain.ID) error {
	for i := len(s.Rejected) - 1; i >= 0; i-- {
		if s.Rejected[i].Event == id {
			return fmt.Errorf("event %s is stored but does not count: %s", id.Short(), s.Rejected[i].Reason)
		}
	}
	return nil
}

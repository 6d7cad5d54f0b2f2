package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
)

// The work recorded on an incident: tasks, notes, timers and evidence.

func (a *app) taskCmd() *cobra.Command {
	c := &cobra.Command{Use: "task", Short: "Tasks of an incident"}
	c.AddCommand(a.taskAddCmd(), a.taskDoneCmd(), a.taskReopenCmd(), a.taskAssignCmd())
	return c
}

func (a *app) taskAddCmd() *cobra.Command {
	var t domain.TaskAdd
	var due time.Duration
	c := &cobra.Command{
		Use:   "add INCIDENT --title T [--owner MEMBER] [--due DURATION]",
		Short: "Add a task",
		Args:  exactArgs(1, "the incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.appendToIncident(cmd, args[0], func(id domain.ID) (domain.Body, error) {
				t.Incident = id
				if t.Owner != "" {
					var err error
					if t.Owner, err = a.memberHandle(cmd.Context(), t.Owner); err != nil {
						return nil, err
					}
				}
				if due < 0 {
					return nil, usageError{fmt.Errorf("--due %s is in the past", due)}
				}
				if due == 0 && cmd.Flags().Changed("due") {
					return nil, usageError{fmt.Errorf("--due %s: the task would be due now; give a time ahead (e.g. 30m), or leave --due out", due)}
				}
				if due > 0 {
					t.Due = a.now().Add(due).UnixMilli()
				}
				return &t, nil
			})
		},
	}
	c.Flags().StringVar(&t.Title, "title", "", "what needs doing")
	c.Flags().StringVar(&t.Owner, "owner", "", "who does it (handle or address)")
	c.Flags().DurationVar(&due, "due", 0, "due in (e.g. 30m)")
	c.MarkFlagRequired("title")
	return withJSON(c)
}

func (a *app) taskDoneCmd() *cobra.Command {
	return a.taskChangeCmd("done TASK", "Mark a task done", func(id domain.ID) domain.Body { return &domain.TaskDone{Task: id} })
}

// taskReopenCmd undoes a done: marked done by mistake, or the fix did not
// hold. Replicas older than task.reopen refuse it as newer (upgrade them
// first, as for any new kind).
func (a *app) taskReopenCmd() *cobra.Command {
	return a.taskChangeCmd("reopen TASK", "Reopen a task marked done", func(id domain.ID) domain.Body { return &domain.TaskReopen{Task: id} })
}

// taskChangeCmd signs body for the task named. It folds first, unlike the
// append-only commands: a task done twice, or reopened while open, is
// refused here, not signed and then rejected.
func (a *app) taskChangeCmd(use, short string, body func(domain.ID) domain.Body) *cobra.Command {
	return withJSON(&cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(1, "the task id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.resolve(cmd.Context(), args[0], "task", "tminus incident show INCIDENT", domain.KindTaskAdd)
			if err != nil {
				return err
			}
			ev, err := a.gated(cmd.Context(), body(id))
			if err != nil {
				return err
			}
			return a.created(wantJSON(cmd), ev.ID.String(), nil)
		},
	})
}

// taskAssignCmd hands a task to a member (the cockpit's reassign). Two
// responders taking the same task at once both count; the owner is the
// later in fold order on every replica, and the timeline shows both.
func (a *app) taskAssignCmd() *cobra.Command {
	return withJSON(&cobra.Command{
		Use:   "assign TASK MEMBER",
		Short: "Give a task to a member (handle or address)",
		Args:  exactArgs(2, "the task id and a member"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.resolve(cmd.Context(), args[0], "task", "tminus incident show INCIDENT", domain.KindTaskAdd)
			if err != nil {
				return err
			}
			h, err := a.memberHandle(cmd.Context(), args[1])
			if err != nil {
				return err
			}
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			if t := s.Tasks[id]; t != nil && t.Owner == h {
				return fmt.Errorf("task %s is already %s's", id.Short(), h)
			}
			ev, err := a.gated(cmd.Context(), &domain.TaskAssign{Task: id, Owner: h})
			if err != nil {
				return err
			}
			return a.created(wantJSON(cmd), ev.ID.String(), nil)
		},
	})
}

func (a *app) noteCmd() *cobra.Command {
	return withJSON(&cobra.Command{
		Use:   "note INCIDENT TEXT",
		Short: "Add a note to an incident's timeline",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageError{fmt.Errorf("%s: want the incident id, then the text (quote it, or give it as several words)", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.appendToIncident(cmd, args[0], func(id domain.ID) (domain.Body, error) {
				return &domain.Note{Incident: id, Text: strings.Join(args[1:], " ")}, nil
			})
		},
	})
}

func (a *app) timerCmd() *cobra.Command {
	c := &cobra.Command{Use: "timer", Short: "T-minus deadlines"}
	c.AddCommand(a.timerSetCmd(), a.timerDoneCmd())
	return c
}

func (a *app) timerSetCmd() *cobra.Command {
	var label, at string
	var in, every time.Duration
	c := &cobra.Command{
		Use:   "set INCIDENT --label L (--in DURATION | --at RFC3339) [--every DURATION]",
		Short: "Set a deadline, optionally recurring",
		Args:  exactArgs(1, "the incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("in") && in == 0 {
				return usageError{fmt.Errorf("--in %s: the deadline would be now; give a time ahead (e.g. 15m)", in)}
			}
			due, err := timerDue(in, at, a.now())
			if err != nil {
				return err
			}
			if err := timerEvery(every); err != nil {
				return err
			}
			b := &domain.TimerSet{Label: label, Due: due.UnixMilli(), Every: every.Milliseconds()}
			if err := validBeforeLookup(b, &b.Incident); err != nil {
				return err
			}
			return a.appendToIncident(cmd, args[0], func(id domain.ID) (domain.Body, error) {
				if err := a.timersRunning(cmd.Context(), id, args[0]); err != nil {
					return nil, err
				}
				b.Incident = id
				return b, nil
			})
		},
	}
	c.Flags().StringVar(&label, "label", "", "what is due")
	c.Flags().DurationVar(&in, "in", 0, "due in (e.g. 15m)")
	c.Flags().StringVar(&at, "at", "", "due at (RFC 3339)")
	c.Flags().DurationVar(&every, "every", 0, "re-arm every (e.g. 30m; at least 1s; 0, the default, never re-arms)")
	c.MarkFlagRequired("label")
	return withJSON(c)
}

// timerDoneCmd marks a timer met (the cockpit's T-minus pane does it too):
// it stops counting down and no longer reads overdue.
func (a *app) timerDoneCmd() *cobra.Command {
	return withJSON(&cobra.Command{
		Use:   "done TIMER",
		Short: "Mark a timer met",
		Args:  exactArgs(1, "the timer id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.timerID(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			ev, err := a.gated(cmd.Context(), &domain.TimerDone{Timer: id})
			if err != nil {
				return err
			}
			return a.created(wantJSON(cmd), ev.ID.String(), nil)
		},
	})
}

// timerID resolves a timer: an id prefix of a timer.set, or of an
// incident's retro timer, whose id no event has (the fold derives it).
func (a *app) timerID(ctx context.Context, ref string) (domain.ID, error) {
	const where = "tminus incident show INCIDENT"
	id, err := a.resolve(ctx, ref, "timer", where, domain.KindTimerSet)
	if err == nil || !strings.Contains(err.Error(), "not found") {
		return id, err
	}
	s, serr := a.state(ctx)
	if serr != nil {
		return id, serr
	}
	p := strings.TrimPrefix(strings.ToLower(ref), "0x")
	var found []domain.ID
	for tid, t := range s.Timers {
		if tid == domain.RetroTimerID(t.Incident) && strings.HasPrefix(tid.String(), p) {
			found = append(found, tid)
		}
	}
	switch len(found) {
	case 0:
		return id, err
	case 1:
		return found[0], nil
	}
	return id, usageError{fmt.Errorf("timer %s is ambiguous: give more characters (%s shows ids)", ref, where)}
}

// timerDue is when a timer set with --in or --at falls due. A deadline
// already past is refused, as task add --due refuses one: it would only
// show as overdue from the moment it was set (T+60761:48 for a typo'd year).
func timerDue(in time.Duration, at string, now time.Time) (time.Time, error) {
	switch {
	case (in != 0) == (at != ""):
		return time.Time{}, usageError{fmt.Errorf("give exactly one of --in and --at")}
	case in < 0:
		return time.Time{}, usageError{fmt.Errorf("--in %s is in the past", in)}
	case in > 0:
		return now.Add(in), nil
	}
	// RFC 3339 allows a lower-case t and z; Go's layout does not.
	t, err := time.Parse(time.RFC3339, strings.ToUpper(at))
	if err != nil {
		return time.Time{}, usageError{fmt.Errorf("--at: parsing time %q: want RFC 3339 with a zone, such as %s",
			at, now.Add(time.Hour).UTC().Truncate(time.Minute).Format(time.RFC3339))}
	}
	if t.Before(now) {
		return time.Time{}, usageError{fmt.Errorf("--at %s is in the past", at)}
	}
	return t, nil
}

// timerEvery checks --every: 0 (the default) never re-arms; otherwise at
// least a second, the domain's limit, said here in the flag's terms.
func timerEvery(every time.Duration) error {
	switch {
	case every < 0:
		return usageError{fmt.Errorf("--every %s is negative (0, the default, never re-arms)", every)}
	case every > 0 && every < time.Second:
		return usageError{fmt.Errorf("--every %s: at least 1s (0, the default, never re-arms)", every)}
	}
	return nil
}

// timersRunning refuses a timer on a resolved incident, as the cockpit's T
// does: its timers are stopped (they read "resolved"), so a new one would
// never count down. This costs timer set a fold (the newest snapshot and
// the tail), where the other plain appends only look the id up.
func (a *app) timersRunning(ctx context.Context, id domain.ID, ref string) error {
	s, err := a.state(ctx)
	if err != nil {
		return err
	}
	if inc := s.Incidents[id]; inc != nil && !inc.Open() {
		return fmt.Errorf("incident %s is resolved and its timers are stopped: reopen it first (tminus incident status %s triaged)", id.Short(), ref)
	}
	return nil
}

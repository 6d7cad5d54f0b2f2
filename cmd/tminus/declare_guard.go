package main

import (
	"context"
	"fmt"

	"github.com/tminus-ir/tminus/domain"
)

// alertClaimed refuses, before anything is signed, to declare an incident
// from an alert an open incident already has. The fold would move the
// alert's link to the new incident while the old one still lists it, and
// the new one would start from the alert's first sighting: two incidents
// for one alert, the old one's work out of view. The incident in force is
// the alert's current link when open, else the earliest open one listing it.
// An alert of resolved incidents only (one that fired again) may start a
// new incident.
func alertClaimed(s *domain.State, alert domain.ID) error {
	holder := s.OpenIncidentOf(alert)
	if holder == nil {
		return nil
	}
	return fmt.Errorf("alert %s is already linked to open incident %s %q (%s): work it there (tminus incident show %s), "+
		"or resolve that incident before declaring a new one from the alert; nothing was signed",
		alert.Short(), holder.ID.Short(), holder.Title, holder.Status, holder.ID.Short())
}

// alertFree is alertClaimed on the current state.
func (a *app) alertFree(ctx context.Context, alert domain.ID) error {
	s, err := a.state(ctx)
	if err != nil {
		return err
	}
	return alertClaimed(s, alert)
}

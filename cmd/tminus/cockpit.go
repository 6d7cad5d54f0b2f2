package main

import (
	"context"
	"errors"
)

func (a *app) cockpit(ctx context.Context) error {
	return errors.New("the cockpit is not built yet")
}

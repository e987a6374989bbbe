package salesforce

import "context"

// pipelined runs produce in its own goroutine and hands each page it emits
// to fn in the caller's goroutine, so the next page is fetched and decoded
// while fn (the engine's per-page transaction) works on this one: the pull
// uses the network and the database at the same time, and two cores. At
// most one decoded page waits, so memory stays a few pages whatever the
// org's size.
//
// The first error of fn stops produce (its emit returns errStop once the
// page in hand is decoded; no request is abandoned half-read, so a bulk
// job is still cleaned up) and is returned as is. Otherwise produce's own
// error is returned. A panic in fn also stops produce before it unwinds.
func pipelined[P any](ctx context.Context, produce func(emit func(P) error) error, fn func(P) error) error {
	pages := make(chan P, 1)
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		defer close(pages)
		done <- produce(func(p P) error {
			select {
			case pages <- p:
				return nil
			case <-stop:
				return errStop
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	stopped := false
	halt := func() {
		if !stopped {
			stopped = true
			close(stop)
		}
	}
	defer halt()
	var fnErr error
	for p := range pages {
		if fnErr != nil {
			continue // drain what was decoded before produce saw stop
		}
		if fnErr = fn(p); fnErr != nil {
			halt()
		}
	}
	err := <-done
	if fnErr != nil {
		return fnErr
	}
	return err
}

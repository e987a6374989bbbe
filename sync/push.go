package sync

import "context"

// push drains the workspace's outbox to Salesforce.
func (e *Engine) push(ctx context.Context, r *run) error {
	return nil
}

package sync

import "context"

// pull reads Salesforce changes since the cursor and applies them page by
// page.
func (e *Engine) pull(ctx context.Context, r *run) error {
	return nil
}

package sync

// SetTestHook installs a function the engine calls at named points of a pass
// ("push:claimed", "push:update", …, and the pull's page boundaries), so
// tests in package sync_test can edit data or crash the pass there.
func SetTestHook(e *Engine, f func(point string)) { e.testHook = f }

// Command contactsync keeps a messaging platform's contact book and a
// Salesforce org in step. See README.md, or run `contactsync help`.
//
// # Shape
//
// main builds a Main (main.go) and calls Run, then Close; the first SIGINT or
// SIGTERM cancels Run's context and starts a graceful shutdown, a second one
// exits at once. Run dispatches to a subcommand (commands.go): serve, sync,
// migrate, connect, doctor, demo and version.
//
// Configuration is parsed and validated once by the config package and
// copied into the components; wire.go builds the store, the audit log, the
// per-workspace Salesforce clients and the engine from it. serve.go runs the
// scheduler and the HTTP server of internal/httpapi, and shuts them down in
// order: the scheduler, the running pass (with a soft deadline), HTTP, then
// the database.
package main

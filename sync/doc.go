// Package sync is the domain of contactsync: the types that describe a
// workspace's contact book and its view of a Salesforce org, the interfaces
// the engine needs from storage (Store) and from Salesforce (Source), and the
// engine itself (pull, match, push, audit).
//
// It imports no other package of this module and no database, OAuth or HTTP
// client; store/ and sources/salesforce/ implement its interfaces and
// cmd/contactsync wires them together. Importers alias it where the standard
// library's sync is also needed:
//
//	import contactsync "github.com/contactsync/contactsync/sync"
//
// # Model
//
// A Workspace is one tenant. It owns its Settings, its local Contacts, at most
// one Salesforce Connection, the mirror of every Salesforce Contact it has
// seen (SalesforceContact), the Links between the two, an outbox of local
// changes waiting to be pushed (OutboxItem) and a Cursor that says how far the
// pull has read.
//
// Contacts are matched by normalized Keys: a phone number in E.164 form (see
// NormalizePhone) or a bare, lower-cased email address with a punycode domain
// (see NormalizeEmail). Raw values are always kept as entered; keys are derived
// from them and never shown to people.
//
// # Links and the base
//
// A Link joins one local contact to one Salesforce Contact; the store enforces
// at most one link per Salesforce id and per contact in a workspace. A link
// carries Base: the field values both sides last agreed on. Base is what makes
// three-way merges possible (a field that differs from the base was changed on
// that side) and what recognises our own writes when Salesforce echoes them
// back (the remote value equals the base: nothing changed).
//
// # Tags
//
// Tags are free-form labels on a contact. System tags, such as
// TagAutoCreatedSalesforce, are added by contactsync and can never be removed
// or renamed: the store refuses with ErrSystemTag.
package sync

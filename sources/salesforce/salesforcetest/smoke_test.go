package salesforcetest

import (
	"net/url"
	"testing"
)

func TestSmoke(t *testing.T) {
	s := MustServer(t, Options{Contacts: 5000, Seed: 1})
	tok := MustToken(t, s)
	q := url.QueryEscape("SELECT Id, FirstName, LastName, Email, Phone, SystemModstamp FROM Contact ORDER BY SystemModstamp, Id")
	r := do(t, "GET", s.InstanceURL+v62+"/query?q="+q, tok, "", "Sforce-Query-Options", "batchSize=1000")
	t.Log(r.status, r.header, r.body[:1500])
}

package salesforce

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// BenchmarkDecodeContactPage measures the client's side of paging: decoding
// one 2,000-record page of Contacts as the simulator serves it.
func BenchmarkDecodeContactPage(b *testing.B) {
	sim := salesforcetest.NewServer(salesforcetest.Options{Contacts: 2000, Seed: 1})
	defer sim.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	c, err := New(Config{LoginURL: sim.LoginURL, HTTPClient: &http.Client{Transport: tr}, Credentials: Credentials{
		ClientID: sim.Options().ClientID, ClientSecret: sim.Options().ClientSecret, RefreshToken: sim.Options().RefreshToken,
	}})
	if err != nil {
		b.Fatal(err)
	}
	soql := changesSOQL(contactsync.ChangesQuery{Fields: contactsync.DefaultFieldMap().SalesforceFields()})
	resp, err := c.do(context.Background(), &request{method: http.MethodGet, path: "/queryAll", query: url.Values{"q": {soql}}})
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.Run("single-pass", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			page, _, err := readContactPage(bytes.NewReader(body))
			if err != nil || len(page) != 2000 {
				b.Fatalf("%d records, %v", len(page), err)
			}
		}
		b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("json.Decoder", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			page, _, _, err := readPage[contactRow](bytes.NewReader(body))
			if err != nil || len(page) != 2000 {
				b.Fatalf("%d records, %v", len(page), err)
			}
		}
		b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

package salesforcetest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"testing"

	"golang.org/x/oauth2"
)

// BenchmarkPage1M pages through a million seeded contacts, 2,000 a page,
// with the cursor query a sync client runs.
func BenchmarkPage1M(b *testing.B) {
	s := NewServer(Options{Contacts: 1000000, Seed: 1})
	defer s.Close()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapMB")
	tok := MustToken(b, s)
	q := v62 + "/queryAll?q=" + url.QueryEscape("SELECT Id, FirstName, LastName, Email, Phone, MobilePhone, CreatedById, CreatedDate, SystemModstamp, IsDeleted, MasterRecordId FROM Contact WHERE SystemModstamp > 2000-01-01T00:00:00Z ORDER BY SystemModstamp, Id")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, pages := 0, 0
		u := q
		for u != "" {
			req, _ := http.NewRequest("GET", s.InstanceURL+u, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pages++
			n += bytes.Count(body, []byte(`"attributes"`))
			u = ""
			if j := bytes.Index(body, []byte(`"nextRecordsUrl":"`)); j >= 0 {
				rest := body[j+len(`"nextRecordsUrl":"`):]
				u = string(rest[:bytes.IndexByte(rest, '"')])
			}
		}
		if n != 1000000 {
			b.Fatalf("paged %d records in %d pages", n, pages)
		}
		b.ReportMetric(float64(pages), "pages")
	}
}

// TestOAuth2Library logs in with golang.org/x/oauth2's refresh token flow,
// which must cope with a token response without expires_in.
func TestOAuth2Library(t *testing.T) {
	s := MustServer(t, Options{Contacts: 10})
	o := s.Options()
	cfg := &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: s.LoginURL + "/services/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	client := cfg.Client(context.Background(), &oauth2.Token{RefreshToken: o.RefreshToken})
	resp, err := client.Get(s.InstanceURL + v62 + "/query?q=" + url.QueryEscape("SELECT COUNT() FROM Contact"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != `{"totalSize":10,"done":true,"records":[]}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

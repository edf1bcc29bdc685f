package console_test

import (
	"net/http"
	"testing"
)

// BenchmarkConsoleLicensePage is one view of the license page by a
// signed-in browser on SQLite, through the real HTTP stack: the session
// opened, the key authenticated, the license, its activations and its
// audit trail read and rendered. BenchmarkAPILicenseReads is what a brand
// server pays for the same three reads over the API (three requests), to
// compare against: docs/PERFORMANCE.md.
func BenchmarkConsoleLicensePage(b *testing.B) {
	f := newFixture(b, backends[0].open(b, nil), options{})
	c := f.client(b, false)
	c.signIn(f.acme.readKey)
	path := "/console/licenses/" + f.acme.licenseID
	b.ReportAllocs()
	for b.Loop() {
		if p := c.get(path); p.status != http.StatusOK {
			b.Fatal(p.status)
		}
	}
}

func BenchmarkAPILicenseReads(b *testing.B) {
	f := newFixture(b, backends[0].open(b, nil), options{})
	paths := []string{
		"/v1/licenses/" + f.acme.licenseID,
		"/v1/licenses/" + f.acme.licenseID + "/activations",
		"/v1/audit-events?license_id=" + f.acme.licenseID,
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range paths {
			req, _ := http.NewRequest("GET", f.srv.URL+p, nil)
			req.Header.Set("Authorization", "Bearer "+f.acme.readKey)
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != http.StatusOK {
				b.Fatal(err, res.StatusCode)
			}
			res.Body.Close()
		}
	}
}

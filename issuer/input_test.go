package issuer

import (
	"regexp"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

func TestNormalizeEmail(t *testing.T) {
	long := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a'
		}
		return string(b)
	}
	for in, want := range map[string]string{
		"  Jane+WP@Example.COM ":  "jane+wp@example.com",
		"a@b.co":                  "a@b.co",
		long(64) + "@example.com": long(64) + "@example.com",
		"jane.example.com":        "",
		"jane@localhost":          "",
		"ja ne@example.com":       "",
		"a@b@example.com":         "",
		"@example.com":            "",
		"jane@.example.com":       "",
		"jane@example.com.":       "",
		long(65) + "@example.com": "",
		"a@" + long(249) + ".com": "",
		"a@" + long(248) + ".com": "a@" + long(248) + ".com",
		"jane@exa\tmple.com":      "",
		"\xff@example.com":        "",
		"jane@example.com\u00a0":  "jane@example.com",
		"ja\u00a0ne@example.com":  "",
	} {
		got, ok := NormalizeEmail(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestLicenseKeys(t *testing.T) {
	shape := regexp.MustCompile(`^LK(-[0-9A-HJKMNP-TV-Z]{4}){8}$`)
	seen := map[string]bool{}
	for range 1000 {
		k := newLicenseKey()
		if !shape.MatchString(k) || len(k) > maxLicenseKeyLen || seen[k] {
			t.Fatalf("key %q: bad shape or repeated", k)
		}
		seen[k] = true
	}
	if got := normalizeLicenseKey("  lk-abcd-efgh \n"); got != "LK-ABCD-EFGH" {
		t.Fatalf("normalize: %q", got)
	}
	if got := keyHint("LK-ABCD-7KQ2"); got != "…7KQ2" {
		t.Fatalf("hint: %q", got)
	}
}

func TestEffectiveStatus(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Second)
	for _, c := range []struct {
		stored  store.Status
		expires *time.Time
		want    store.Status
	}{
		{store.StatusActive, nil, store.StatusActive},
		{store.StatusActive, &future, store.StatusActive},
		{store.StatusActive, &now, store.StatusExpired},
		{store.StatusActive, &past, store.StatusExpired},
		{store.StatusSuspended, &past, store.StatusSuspended},
		{store.StatusCancelled, &past, store.StatusCancelled},
		{store.StatusCancelled, nil, store.StatusCancelled},
	} {
		if got := effectiveStatus(store.License{Status: c.stored, ExpiresAt: c.expires}, now); got != c.want {
			t.Errorf("%s expiring %v: %s, want %s", c.stored, c.expires, got, c.want)
		}
	}
}

func TestCheckIdempotencyKey(t *testing.T) {
	for k, ok := range map[string]bool{"order-1": true, "a": true, "": false, "has space": false, "é": false, string(make([]byte, 256)): false} {
		if err := CheckIdempotencyKey(k); (err == nil) != ok {
			t.Errorf("%q: %v", k, err)
		}
	}
}

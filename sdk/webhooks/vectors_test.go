package webhooks_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/licensedhq/licensed/sdk/webhooks"
)

// Vector is one case of testdata/vectors.json, which the PHP verifier
// (sdk/php, Licensed\Webhook) runs too.
type vector struct {
	Name      string            `json:"name"`
	Secret    string            `json:"secret"`
	Headers   map[string]string `json:"headers"`
	Body      string            `json:"body"`
	Now       int64             `json:"now"`
	Tolerance int64             `json:"tolerance_seconds"`
	Expect    string            `json:"expect"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Cases []vector }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) < 20 {
		t.Fatalf("only %d vectors", len(doc.Cases))
	}
	return doc.Cases
}

var classes = map[string]error{
	"headers": webhooks.ErrMissingHeaders, "timestamp": webhooks.ErrTimestamp,
	"signature": webhooks.ErrSignature, "secret": webhooks.ErrSecret,
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			h := http.Header{}
			for k, val := range v.Headers {
				h.Set(k, val) // canonicalised, as net/http hands them over
			}
			err := webhooks.VerifyAt(v.Secret, h, []byte(v.Body), time.Duration(v.Tolerance)*time.Second, time.Unix(v.Now, 0))
			if v.Expect == "ok" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			want, ok := classes[v.Expect]
			if !ok {
				t.Fatalf("unknown class %q", v.Expect)
			}
			if !errors.Is(err, want) {
				t.Fatalf("got %v, want %v", err, want)
			}
		})
	}
}

// Parse refuses what Verify refuses, and decodes what it accepts.
func TestParse(t *testing.T) {
	vs := loadVectors(t)
	v := vs[0]
	h := http.Header{}
	for k, val := range v.Headers {
		h.Set(k, val)
	}
	if _, err := webhooks.Parse(v.Secret, h, []byte(v.Body), 0); !errors.Is(err, webhooks.ErrTimestamp) {
		t.Fatalf("a 2026 vector verified against today's clock: %v", err)
	}
	h.Set("webhook-timestamp", "1") // and the signature no longer matches either
	if _, err := webhooks.Parse(v.Secret, h, []byte(v.Body), time.Duration(1<<62)); !errors.Is(err, webhooks.ErrSignature) {
		t.Fatalf("got %v, want ErrSignature", err)
	}
}

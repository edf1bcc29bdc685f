package webhooks_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/licensedhq/licensed/sdk/webhooks"
)

// A brand's receiver: verify, then act on the event, then answer 2xx
// quickly (any 2xx within 10 s counts as delivered).
func Example() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // shown once when the endpoint was created

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable", http.StatusBadRequest)
			return
		}
		event, err := webhooks.Parse(secret, r.Header, body, webhooks.DefaultTolerance)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		fmt.Println("received", event.Type, event.ID)
		w.WriteHeader(http.StatusNoContent)
	})

	// What the licensed server sends (signed here by hand for the example).
	body := []byte(`{"id":"0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c0b","type":"license.cancelled","timestamp":"2026-11-30T12:00:00Z","data":{}}`)
	id, ts := "0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c0b", strconv.FormatInt(time.Now().Unix(), 10)
	key, _ := base64.StdEncoding.DecodeString(secret[len("whsec_"):])
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	req := httptest.NewRequest(http.MethodPost, "/hooks/licensed", bytes.NewReader(body))
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// received license.cancelled 0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c0b
	// 204
}

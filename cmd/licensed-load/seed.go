package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
)

// fixture is what seed made: the brand's API key, the licenses validated
// (each with one activation), the licenses new instances activate on.
type fixture struct {
	base, brand, product, apiKey string
	runID                        string
	validate                     []seeded
	activate                     []seeded
	counter                      atomic.Uint64 // makes instances and emails unique
}

type seeded struct {
	key, email, instance string
	validateBody         []byte // license token
	activationBody       []byte // activation token
	searchBody           []byte
}

// activationLicenses take the new instances of the activate workload;
// 100 000 seats each (the most a product allows) is room for far more
// activations than a run makes.
const activationLicenses = 16

func seed(ctx context.Context, c *http.Client, base, adminKey string, n int) (*fixture, error) {
	id := make([]byte, 4)
	rand.Read(id)
	fx := &fixture{base: base, runID: hex.EncodeToString(id), product: "pro"}
	fx.brand = "load-" + fx.runID
	if _, err := call(ctx, c, base+"/v1/brands", adminKey, map[string]any{"slug": fx.brand, "name": "Load " + fx.runID}, http.StatusCreated); err != nil {
		return nil, err
	}
	if _, err := call(ctx, c, base+"/v1/brands/"+fx.brand+"/products", adminKey, map[string]any{
		"slug": fx.product, "name": "Pro", "default_seats": 100000, "free_instances": []string{},
	}, http.StatusCreated); err != nil {
		return nil, err
	}
	k, err := call(ctx, c, base+"/v1/api-keys", adminKey, map[string]any{
		"brand": fx.brand, "name": "load", "scopes": []string{"licenses:read", "licenses:write"},
	}, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	fx.apiKey, _ = k["key"].(string)
	ref := fx.brand + "/" + fx.product
	for i := range n + activationLicenses {
		email := fmt.Sprintf("c%d-%s@load.example", i, fx.runID)
		l, err := call(ctx, c, base+"/v1/licenses", fx.apiKey, map[string]any{"customer_email": email, "product": fx.product}, http.StatusCreated)
		if err != nil {
			return nil, err
		}
		s := seeded{key: l["license_key"].(string), email: email}
		if i >= n {
			fx.activate = append(fx.activate, s)
			continue
		}
		s.instance = fmt.Sprintf("site%d.load-%s.com", i, fx.runID)
		act := map[string]any{"license_key": s.key, "product": ref, "instance": s.instance}
		if _, err := call(ctx, c, base+"/v1/activate", "", act, http.StatusCreated); err != nil {
			return nil, err
		}
		s.activationBody = mustJSON(act)
		s.validateBody = mustJSON(map[string]any{"license_key": s.key, "product": ref})
		s.searchBody = mustJSON(map[string]any{"customer_email": email})
		fx.validate = append(fx.validate, s)
	}
	return fx, nil
}

// workload is the named operation against the seeded data: worker w's
// n-th request picks license (w+n) mod the number seeded, so every
// license is in use and no two workers march in step.
func (fx *fixture) workload(name string) workload {
	pick := func(w, n int) seeded { return fx.validate[(w+n)%len(fx.validate)] }
	post := func(path, auth string, body []byte) request {
		return request{method: http.MethodPost, url: fx.base + path, auth: auth, body: body}
	}
	ref := fx.brand + "/" + fx.product
	switch name {
	case "validate":
		return workload{name: name, want: http.StatusOK, next: func(w, n int) request { return post("/v1/validate", "", pick(w, n).validateBody) }}
	case "validate-activation":
		return workload{name: name, want: http.StatusOK, next: func(w, n int) request { return post("/v1/validate", "", pick(w, n).activationBody) }}
	case "search":
		return workload{name: name, want: http.StatusOK, next: func(w, n int) request { return post("/v1/licenses/search", fx.apiKey, pick(w, n).searchBody) }}
	case "activate":
		return workload{name: name, want: http.StatusCreated, next: func(w, n int) request {
			l := fx.activate[(w+n)%len(fx.activate)]
			inst := fmt.Sprintf("i%d.host-%s.com", fx.counter.Add(1), fx.runID)
			return post("/v1/activate", "", mustJSON(map[string]any{"license_key": l.key, "product": ref, "instance": inst}))
		}}
	case "provision":
		return workload{name: name, want: http.StatusCreated, next: func(w, n int) request {
			email := fmt.Sprintf("p%d-%s@load.example", fx.counter.Add(1), fx.runID)
			return post("/v1/licenses", fx.apiKey, mustJSON(map[string]any{"customer_email": email, "product": fx.product}))
		}}
	}
	panic("unknown workload " + name)
}

// call POSTs body and decodes the answer, which must have status want.
func call(ctx context.Context, c *http.Client, url, auth string, body any, want int) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(mustJSON(body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return nil, fmt.Errorf("POST %s: %d: %s", url, resp.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("POST %s: %w", url, err)
	}
	return out, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

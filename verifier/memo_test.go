package verifier

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func memoVerifier(t *testing.T, ks *KeySet, size int, now *atomic.Int64) *Verifier {
	t.Helper()
	return New(ks, WithIssuer(testIssuer), WithProduct(testProduct), WithInstance(testInstance), WithCacheSize(size),
		WithClock(func() time.Time { return time.Unix(now.Load(), 0) }))
}

// TestMemoRedoesTimeChecks: a memoized token still expires on time.
func TestMemoRedoesTimeChecks(t *testing.T) {
	var now atomic.Int64
	now.Store(testNow)
	v := memoVerifier(t, mustKeys(t), 8, &now)
	token := signed(baseClaims())
	for _, step := range []struct {
		at   int64
		want error
	}{{testNow, nil}, {testIat - 61, ErrNotYetValid}, {testNow, nil}, {testExp + 60, ErrExpired}, {testLicExp - 1, ErrExpired}} {
		now.Store(step.at)
		if _, err := v.Verify(token); !errors.Is(err, step.want) || (err == nil) != (step.want == nil) {
			t.Fatalf("at %d: %v, want %v", step.at, err, step.want)
		}
	}
	if n := v.state.Load().memo.len(); n != 1 {
		t.Fatalf("memo holds %d tokens, want 1", n)
	}
}

// TestMemoReturnsCopies: changing returned claims does not change the memo.
func TestMemoReturnsCopies(t *testing.T) {
	var now atomic.Int64
	now.Store(testNow)
	v := memoVerifier(t, mustKeys(t), 8, &now)
	token := signed(baseClaims())
	c1, err := v.Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	c1.Entitlements[0] = "enterprise"
	*c1.LicenseExpiry = 0
	c1.Status = StatusCancelled
	c2, err := v.Verify(token)
	if err != nil || c2.Entitlements[0] != "pro" || *c2.LicenseExpiry != testLicExp {
		t.Fatalf("memo changed through returned claims: %+v, %v", c2, err)
	}
}

// TestMemoBounded: the memo never holds more than its size, keeps a token
// in steady use through a stream of others (CLOCK's second chance), and
// never holds a forged token.
func TestMemoBounded(t *testing.T) {
	var now atomic.Int64
	now.Store(testNow)
	v := memoVerifier(t, mustKeys(t), 4, &now)
	hot := signed(baseClaims())
	for i := range 50 {
		if _, err := v.Verify(hot); err != nil {
			t.Fatal(err)
		}
		cold := signed(with(baseClaims(), func(c *Claims) { c.ID = fmt.Sprint("token-", i) }))
		if _, err := v.Verify(cold); err != nil {
			t.Fatal(err)
		}
		forged := withSignature(cold, make([]byte, 64))
		if _, err := v.Verify(forged); !errors.Is(err, ErrSignature) {
			t.Fatal(err)
		}
		m := v.state.Load().memo
		if m.len() > 4 {
			t.Fatalf("memo holds %d", m.len())
		}
		if i > 4 && m.get(hot) == nil {
			t.Fatalf("round %d: the hot token was evicted", i)
		}
		if m.get(forged) != nil {
			t.Fatal("forged token memoized")
		}
	}
}

// TestSetKeysDropsMemo: after SetKeys, memoized tokens are verified again
// under the new set.
func TestSetKeysDropsMemo(t *testing.T) {
	var now atomic.Int64
	now.Store(testNow)
	v := memoVerifier(t, mustKeys(t), 8, &now)
	token := signed(baseClaims())
	if _, err := v.Verify(token); err != nil {
		t.Fatal(err)
	}
	onlyB, err := NewKeySet(map[string]ed25519.PublicKey{kidB: pubOf(keyB)})
	if err != nil {
		t.Fatal(err)
	}
	v.SetKeys(onlyB)
	if v.Keys() != onlyB {
		t.Fatal("Keys")
	}
	if _, err := v.Verify(token); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("after the key was removed: %v", err)
	}
	v.SetKeys(mustKeys(t))
	if _, err := v.Verify(token); err != nil {
		t.Fatal(err)
	}
	v.SetKeys(nil)
	if _, err := v.Verify(token); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("no keys: %v", err)
	}
}

// TestConcurrentVerifyAndSetKeys runs Verify from several goroutines while
// the key set changes under them; run with -race. A token of key A always
// verifies (both sets hold A); a token of key B verifies or is unknown.
func TestConcurrentVerifyAndSetKeys(t *testing.T) {
	var now atomic.Int64
	now.Store(testNow)
	both := mustKeys(t)
	onlyA, err := NewKeySet(map[string]ed25519.PublicKey{kidA: pubOf(keyA)})
	if err != nil {
		t.Fatal(err)
	}
	v := memoVerifier(t, both, 2, &now)
	tokA := signed(baseClaims())
	tokB := signRaw(headerFor(kidB), mustJSON(baseClaims()), keyB)
	others := make([]string, 8)
	for i := range others {
		others[i] = signed(with(baseClaims(), func(c *Claims) { c.ID = fmt.Sprint(i) }))
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if c, err := v.Verify(tokA); err != nil || c.Seats != 5 {
					errs <- fmt.Errorf("token A: %v", err)
					return
				}
				if _, err := v.Verify(tokB); err != nil && !errors.Is(err, ErrUnknownKey) {
					errs <- fmt.Errorf("token B: %v", err)
					return
				}
				if _, err := v.Verify(others[(g+i)%len(others)]); err != nil {
					errs <- fmt.Errorf("other: %v", err)
					return
				}
			}
		})
	}
	for i := range 50 {
		if i%2 == 0 {
			v.SetKeys(onlyA)
		} else {
			v.SetKeys(both)
		}
		time.Sleep(100 * time.Microsecond)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

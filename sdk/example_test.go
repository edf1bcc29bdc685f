package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/licensedhq/licensed/sdk"
	"github.com/licensedhq/licensed/verifier"
)

// jwks is the service's GET /.well-known/jwks.json, embedded in the
// product at build time so that the first check needs no network.
const jwks = `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"A_kYXyFZqtUUwa362LsdHWIOiblBXMXYGh5TSlrMLU0","kid":"Zhow0uELvEdQYXpV0ejzU8GA64ka40MMGDV8CxzQBvM","alg":"EdDSA","use":"sig"}]}`

// storedToken is the activation token the product stored for example.org
// when it last talked to the service.
const storedToken = "eyJhbGciOiJFZERTQSIsInR5cCI6ImxpY2Vuc2Urand0Iiwia2lkIjoiWmhvdzB1RUx2RWRRWVhwVjBlanpVOEdBNjRrYTQwTU1HRFY4Q3h6UUJ2TSJ9." +
	"eyJpc3MiOiJodHRwczovL2xpY2Vuc2VkLmV4YW1wbGUuY29tIiwic3ViIjoiMDE5NGY3YTItN2M0ZS03YjNhLTlkMmUtNWYxYTJiM2M0ZDVlIiwiYXVkIjoicmFua21hdGgvcmFua21hdGgtcHJvIiwiaWF0IjoxNzY3MjIyMDAwLCJuYmYiOjE3NjcyMjIwMDAsImV4cCI6MTc2NzgyNjgwMCwianRpIjoiMDE5NGY3YTMtMTExMS03YWFhLThiYmItMDEyMzQ1Njc4OWFiIiwic3RhdHVzIjoiYWN0aXZlIiwibGljZW5zZV9leHAiOjE3OTg3NjE2MDAsInNlYXRzIjo1LCJlbnRpdGxlbWVudHMiOlsicHJvIiwidXBkYXRlcyJdLCJpbnN0YW5jZSI6ImV4YW1wbGUub3JnIiwiYWN0aXZhdGlvbl9pZCI6IjAxOTRmN2EzLTIyMjItN2NjYy04ZGRkLTAxMjM0NTY3ODlhYiJ9." +
	"EFUl8sKM5zGTL6NNTF3TQOyBSxLag_kC22iGjnRUQJVkQYNzFVcIMLVAvM5yderviGOCrLI46phG9dbPvpB3Dg"

// suspendedToken is what a refresh brought after the brand suspended the
// license: the service still issues a token, saying so.
const suspendedToken = "eyJhbGciOiJFZERTQSIsInR5cCI6ImxpY2Vuc2Urand0Iiwia2lkIjoiWmhvdzB1RUx2RWRRWVhwVjBlanpVOEdBNjRrYTQwTU1HRFY4Q3h6UUJ2TSJ9." +
	"eyJpc3MiOiJodHRwczovL2xpY2Vuc2VkLmV4YW1wbGUuY29tIiwic3ViIjoiMDE5NGY3YTItN2M0ZS03YjNhLTlkMmUtNWYxYTJiM2M0ZDVlIiwiYXVkIjoicmFua21hdGgvcmFua21hdGgtcHJvIiwiaWF0IjoxNzY3MjIyMDAwLCJuYmYiOjE3NjcyMjIwMDAsImV4cCI6MTc2NzgyNjgwMCwianRpIjoiMDE5NGY3YTMtMTExMS03YWFhLThiYmItMDEyMzQ1Njc4OWFiIiwic3RhdHVzIjoic3VzcGVuZGVkIiwibGljZW5zZV9leHAiOjE3OTg3NjE2MDAsInNlYXRzIjo1LCJlbnRpdGxlbWVudHMiOlsicHJvIiwidXBkYXRlcyJdLCJpbnN0YW5jZSI6ImV4YW1wbGUub3JnIiwiYWN0aXZhdGlvbl9pZCI6IjAxOTRmN2EzLTIyMjItN2NjYy04ZGRkLTAxMjM0NTY3ODlhYiJ9." +
	"n8L58mcARnsEMR6p14CHWrC_Xfv13J152zDOxaM5fBICoHKpiCjY3GK1jo80RW9TAghT6ThEDitRNK3U0J6lAA"

// exampleClock stands still, so that the examples' output does not
// change; a product leaves WithClock out.
type exampleClock struct{}

func (exampleClock) Now() time.Time                       { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
func (exampleClock) After(time.Duration) <-chan time.Time { return nil }

// offlineGuard is a guard as a product builds it on start, here with the
// token in memory instead of a FileStore.
func offlineGuard(token string) *sdk.Guard {
	client, err := sdk.NewProductClient("https://licensed.example.com", sdk.WithUserAgent("rankmath-pro/2.3"))
	if err != nil {
		log.Fatal(err)
	}
	guard, err := sdk.NewGuard(client, "rankmath/rankmath-pro",
		sdk.WithInstance("https://www.example.org/"), // this site, as WordPress spells it
		sdk.WithJWKS([]byte(jwks)),
		sdk.WithTokenStore(sdk.NewMemoryStore(token)),
		sdk.WithClock(exampleClock{}),
	)
	if err != nil {
		log.Fatal(err)
	}
	if err := guard.Load(context.Background()); err != nil {
		log.Fatal(err)
	}
	return guard
}

// Offline: a product started without a network is licensed from its
// stored token and embedded JWKS.
func Example() {
	guard := offlineGuard(storedToken)
	claims, err := guard.Check()
	if err != nil {
		fmt.Println("not licensed:", err)
		return
	}
	fmt.Println("licensed for", claims.Instance)
	fmt.Println("pro features:", claims.Has("pro"))
	fmt.Println("state:", guard.Status().State)
	// Output:
	// licensed for example.org
	// pro features: true
	// state: licensed
}

// After the brand suspends the license, the next refresh brings a token
// saying so, and Check tells the product why it may not run.
func ExampleGuard_Check() {
	guard := offlineGuard(suspendedToken)
	claims, err := guard.Check()
	switch {
	case err == nil:
		fmt.Println("licensed")
	case errors.Is(err, verifier.ErrLicenseSuspended):
		fmt.Printf("license %s is suspended: contact support\n", claims.Subject)
	case errors.Is(err, verifier.ErrLicenseUnusable):
		fmt.Println("license", claims.Status)
	case errors.Is(err, sdk.ErrNotLicensed):
		fmt.Println("enter your license key")
	default:
		fmt.Println("cannot verify the license:", err)
	}
	// Output:
	// license 0194f7a2-7c4e-7b3a-9d2e-5f1a2b3c4d5e is suspended: contact support
}

// First run of a product: activate this site with the key the customer
// typed, then keep the license fresh in the background.
func ExampleGuard_Activate() {
	ctx := context.Background()
	dir, _ := os.UserConfigDir()
	client, _ := sdk.NewProductClient("https://licenses.example.com", sdk.WithUserAgent("rankmath-pro/2.3"))
	guard, err := sdk.NewGuard(client, "rankmath/rankmath-pro",
		sdk.WithInstance("https://www.example.org/"),
		sdk.WithJWKS([]byte(jwks)),
		sdk.WithTokenStore(sdk.NewFileStore(filepath.Join(dir, "rankmath-pro.token"))),
	)
	if err != nil {
		log.Fatal(err)
	}
	if err := guard.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer guard.Stop()

	act, err := guard.Activate(ctx, "LK-WTDP-1QK4-CHKS-SHX4-8ANF-003F-5ARH-F9KQ", "Jane's blog")
	var apiErr *sdk.Error
	switch {
	case errors.Is(err, sdk.ErrSeatLimitReached) && errors.As(err, &apiErr):
		fmt.Printf("all %d seats are in use: deactivate another site first\n", apiErr.Seats)
	case errors.Is(err, sdk.ErrLicenseNotFound):
		fmt.Println("no license for this product under that key")
	case errors.Is(err, sdk.ErrUnavailable):
		fmt.Println("cannot reach the license server; try again later")
	case err != nil:
		fmt.Println("activation failed:", err)
	default:
		// Store the key with the product's settings: a restart passes it
		// back with sdk.WithLicenseKey so the guard can refresh.
		fmt.Println("activated; seats used:", act.License.SeatsUsed)
	}
}

// A refusal of the service is an *sdk.Error that matches its code's
// sentinel and carries the problem document's members.
func ExampleProductClient_Activate() {
	// A stand-in for the service, answering as it does when every seat is taken.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `{"type":"urn:licensed:error:seat_limit_reached","title":"Seat limit reached","status":409,
			"code":"seat_limit_reached","detail":"all 2 seats are in use","request_id":"req-42","seats":2,"seats_used":2}`)
	}))
	defer srv.Close()

	client, _ := sdk.NewProductClient(srv.URL)
	_, err := client.Activate(context.Background(), sdk.ActivateRequest{
		LicenseKey: "LK-WTDP-1QK4-CHKS-SHX4-8ANF-003F-5ARH-F9KQ",
		Product:    "rankmath/rankmath-pro",
		Instance:   "https://www.example.org/",
	})
	var e *sdk.Error
	if errors.Is(err, sdk.ErrSeatLimitReached) && errors.As(err, &e) {
		fmt.Printf("%d of %d seats in use (request %s)\n", e.SeatsUsed, e.Seats, e.RequestID)
	}
	fmt.Println(err)
	// Output:
	// 2 of 2 seats in use (request req-42)
	// licensed: 409 seat_limit_reached: all 2 seats are in use (request_id req-42)
}

// A brand's shop provisions a license when an order is paid. The order id
// as Idempotency-Key makes the call safe to repeat after a crash.
func ExampleBrandClient_Provision() {
	ctx := context.Background()
	brand, err := sdk.NewBrandClient("https://licenses.example.com", os.Getenv("LICENSED_API_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	p, err := brand.Provision(ctx, sdk.ProvisionRequest{
		CustomerEmail:  "jane@example.com",
		Product:        "rankmath-pro",
		Seats:          5,
		ExpiresAt:      time.Now().AddDate(1, 0, 0),
		Entitlements:   []string{"pro"},
		Metadata:       map[string]any{"order": "A-1"},
		IdempotencyKey: "order-A-1",
	})
	var e *sdk.Error
	switch {
	case errors.Is(err, sdk.ErrLicenseExists) && errors.As(err, &e):
		fmt.Println("the customer already has this product:", e.LicenseID)
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println("email the customer their key:", p.LicenseKey)
	}
}

// Support looks up every license of a customer, page after page.
func ExampleBrandClient_SearchAll() {
	brand, _ := sdk.NewBrandClient("https://licenses.example.com", os.Getenv("LICENSED_API_KEY"))
	for l, err := range brand.SearchAll(context.Background(), "jane@example.com") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(l.Product, l.Status, l.LicenseKeyHint)
	}
}

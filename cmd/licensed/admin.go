package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/licensedhq/licensed/issuer"
)

// The admin subcommands of brands, API keys and signing keys: the admin
// API's service methods on the command line, as the operator (actor
// "admin" in the audit trail).

func (m *Main) brands(ctx context.Context, name string, args []string) error {
	var in issuer.BrandInput
	var out outputFlag
	var name2 optString
	switch name {
	case "brands create":
		return m.run(ctx, name, args, func(fs *flag.FlagSet) {
			fs.StringVar(&in.Slug, "slug", "", "brand slug, e.g. rankmath")
			fs.StringVar(&in.Name, "name", "", "display name")
		}, func(ctx context.Context) error {
			return m.print(m.service.CreateBrand(ctx, issuer.AdminActor, cliOrigin(), in))
		})
	case "brands list":
		return m.run(ctx, name, args, func(fs *flag.FlagSet) { bindOutput(fs, &out) }, func(ctx context.Context) error {
			list, err := allPages(func(in issuer.PageInput) (issuer.Page[issuer.Brand], error) {
				return m.service.Brands(ctx, issuer.AdminActor, in)
			})
			return m.printAs(out, brandColumns())(list, err)
		})
	case "brands get":
		return m.run(ctx, name, args, func(fs *flag.FlagSet) {
			fs.StringVar(&in.Slug, "slug", "", "brand slug")
			bindOutput(fs, &out)
		}, func(ctx context.Context) error {
			return m.printAs(out, brandColumns())(m.service.GetBrand(ctx, issuer.AdminActor, in.Slug))
		})
	case "brands update":
		return m.run(ctx, name, args, func(fs *flag.FlagSet) {
			fs.StringVar(&in.Slug, "slug", "", "brand slug (never changes)")
			fs.Var(&name2, "name", "new display name")
		}, func(ctx context.Context) error {
			var patch issuer.BrandPatchInput
			if name2.set {
				patch.Name = &name2.v
			}
			return m.print(m.service.UpdateBrand(ctx, issuer.AdminActor, cliOrigin(), in.Slug, patch))
		})
	}
	return usagef("unknown subcommand %q (see 'licensed brands --help')", name)
}

// allPages gathers every page of a list.
func allPages[T any](page func(issuer.PageInput) (issuer.Page[T], error)) ([]T, error) {
	out := []T{}
	in := issuer.PageInput{}
	for {
		p, err := page(in)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Data...)
		if p.NextCursor == nil {
			return out, nil
		}
		in.Cursor = *p.NextCursor
	}
}

func (m *Main) apiKeys(ctx context.Context, name string, args []string) error {
	if name == "api-keys create" {
		return m.createAPIKey(ctx, name, args)
	}
	var brand, id, prefix string
	var out outputFlag
	own := func(fs *flag.FlagSet) {
		if name == "api-keys list" {
			fs.StringVar(&brand, "brand", "", "only the keys of this brand (default: every key, the platform's included)")
		} else {
			fs.StringVar(&id, "id", "", "id of the API key")
			fs.StringVar(&prefix, "prefix", "", "prefix of the API key (lk_<prefix>, as 'api-keys list' shows it)")
		}
		if name != "api-keys revoke" {
			bindOutput(fs, &out)
		}
	}
	ref := func() (string, error) {
		if (id == "") == (prefix == "") {
			return "", usagef("%s: give exactly one of --id and --prefix", name)
		}
		return id + prefix, nil
	}
	switch name {
	case "api-keys list":
		return m.run(ctx, name, args, own, func(ctx context.Context) error {
			list, err := allPages(func(in issuer.PageInput) (issuer.Page[issuer.APIKey], error) {
				return m.service.APIKeys(ctx, issuer.AdminActor, issuer.APIKeysInput{Brand: brand, PageInput: in})
			})
			return m.printAs(out, apiKeyColumns())(list, err)
		})
	case "api-keys get":
		return m.run(ctx, name, args, own, func(ctx context.Context) error {
			r, err := ref()
			if err != nil {
				return err
			}
			return m.printAs(out, apiKeyColumns())(m.service.GetAPIKey(ctx, issuer.AdminActor, r))
		})
	case "api-keys revoke":
		return m.run(ctx, name, args, own, func(ctx context.Context) error {
			r, err := ref()
			if err != nil {
				return err
			}
			return m.print(m.service.RevokeAPIKey(ctx, issuer.AdminActor, cliOrigin(), r))
		})
	}
	return usagef("unknown subcommand %q (see 'licensed api-keys --help')", name)
}

func (m *Main) signingKeys(ctx context.Context, name string, args []string) error {
	if name == "keys list" {
		var out outputFlag
		return m.run(ctx, name, args, func(fs *flag.FlagSet) { bindOutput(fs, &out) }, func(ctx context.Context) error {
			if err := m.keys.Sync(ctx); err != nil {
				return err
			}
			list, err := m.keys.List(ctx)
			return m.printAs(out, signingKeyColumns())(list, err)
		})
	}
	var kid string
	return m.run(ctx, name, args, func(fs *flag.FlagSet) {
		fs.StringVar(&kid, "kid", "", "kid of the signing key, as 'keys list' shows it")
	}, func(ctx context.Context) error {
		if kid == "" {
			return usagef("%s: --kid is required", name)
		}
		r, err := m.service.RevokeSigningKey(ctx, issuer.AdminActor, cliOrigin(), kid)
		if err != nil {
			return err
		}
		// The warning goes to stderr too: a person reads it there, a script
		// finds it in the JSON.
		fmt.Fprintln(m.Stderr, "warning:", r.Warning)
		return m.print(r, nil)
	})
}

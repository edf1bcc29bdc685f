package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/licensedhq/licensed/issuer"
)

// products runs `licensed products create|list|get|update`: the admin
// API's product endpoints on the command line, with one flag per setting.
// Settings not given on update are left as they are; on create they take
// their defaults.
func (m *Main) products(ctx context.Context, name string, args []string) error {
	switch name {
	case "products create", "products list", "products get", "products update":
	default:
		return usagef("unknown subcommand %q (see 'licensed products --help')", name)
	}
	var brand, slug string
	var set productFlags
	var out outputFlag
	own := func(fs *flag.FlagSet) {
		fs.StringVar(&brand, "brand", "", "slug of the brand")
		if name != "products list" {
			fs.StringVar(&slug, "slug", "", "product slug, e.g. rankmath-pro")
		}
		if name == "products create" || name == "products update" {
			set.bind(fs, name == "products create")
		} else {
			bindOutput(fs, &out)
		}
	}
	return m.run(ctx, name, args, own, func(ctx context.Context) error {
		switch name {
		case "products create":
			in := issuer.ProductInput{Slug: slug, Name: set.name.v}
			if err := set.settings(&in.ProductSettings); err != nil {
				return err
			}
			return m.print(m.service.CreateProduct(ctx, issuer.AdminActor, cliOrigin(), brand, in))
		case "products update":
			var in issuer.ProductPatchInput
			if set.name.set {
				in.Name = &set.name.v
			}
			if err := set.settings(&in.ProductSettings); err != nil {
				return err
			}
			return m.print(m.service.UpdateProduct(ctx, issuer.AdminActor, cliOrigin(), brand, slug, in))
		case "products get":
			return m.printAs(out, productColumns(false))(m.service.GetProduct(ctx, issuer.AdminActor, brand, slug))
		}
		list, err := allPages(func(in issuer.PageInput) (issuer.Page[issuer.Product], error) {
			return m.service.Products(ctx, issuer.AdminActor, brand, in)
		})
		return m.printAs(out, productColumns(true))(list, err)
	})
}

// productFlags are the settings flags of create and update, each knowing
// whether it was given.
type productFlags struct {
	name          optString
	seats         optInt
	tokenTTL      optDuration
	freeInstances optList
	maxFree       optInt
	graceDays     optInt
	activationTTL optDuration
}

func (p *productFlags) bind(fs *flag.FlagSet, create bool) {
	// On create an absent flag takes the default; on update it leaves the
	// setting as it is.
	def := func(d string) string {
		if create {
			return " (default " + d + ")"
		}
		return " (unchanged unless given)"
	}
	nameUsage := "display name (required)"
	if !create {
		nameUsage = "display name" + def("")
	}
	fs.Var(&p.name, "name", nameUsage)
	fs.Var(&p.seats, "seats", "default seats of a new license"+def("1"))
	fs.Var(&p.tokenTTL, "token-ttl", "lifetime of tokens, a Go duration"+def(issuer.DefaultTokenTTL.String()))
	fs.Var(&p.freeInstances, "free-instances", "comma-separated host patterns whose activations take no seat, e.g. 'localhost,*.test,staging.*'; '' for none"+
		def(strings.Join(issuer.DefaultFreeInstances(), ",")))
	fs.Var(&p.maxFree, "max-free-activations", "free activations a license may hold at once"+def(strconv.Itoa(issuer.DefaultMaxFree)))
	fs.Var(&p.graceDays, "grace-days", fmt.Sprintf("days after expiry a license stays usable, 0-%d", issuer.MaxGraceDays)+def("0"))
	fs.Var(&p.activationTTL, "activation-ttl", "release activations not seen for this long, a Go duration; 0 never"+def("0"))
}

// settings copies the flags that were given into s.
func (p *productFlags) settings(s *issuer.ProductSettings) error {
	if p.seats.set {
		s.DefaultSeats = &p.seats.v
	}
	for _, d := range []struct {
		flag string
		o    optDuration
		dst  **int
	}{{"token-ttl", p.tokenTTL, &s.TokenTTLSeconds}, {"activation-ttl", p.activationTTL, &s.ActivationTTLSeconds}} {
		if !d.o.set {
			continue
		}
		if d.o.v%time.Second != 0 {
			return usagef("--%s must be whole seconds", d.flag)
		}
		secs := int(d.o.v / time.Second)
		*d.dst = &secs
	}
	if p.freeInstances.set {
		s.FreeInstances = &p.freeInstances.v
	}
	if p.maxFree.set {
		s.MaxFreeActivations = &p.maxFree.v
	}
	if p.graceDays.set {
		s.GraceDays = &p.graceDays.v
	}
	return nil
}

// Flag values that remember whether they were given.

type optString struct {
	v   string
	set bool
}

func (o *optString) String() string     { return o.v }
func (o *optString) Set(s string) error { o.v, o.set = s, true; return nil }

type optInt struct {
	v   int
	set bool
}

func (o *optInt) String() string {
	if !o.set {
		return ""
	}
	return strconv.Itoa(o.v)
}
func (o *optInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("want a whole number")
	}
	o.v, o.set = n, true
	return nil
}

type optDuration struct {
	v   time.Duration
	set bool
}

func (o *optDuration) String() string {
	if !o.set {
		return ""
	}
	return o.v.String()
}
func (o *optDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a Go duration such as 15m or 168h")
	}
	o.v, o.set = d, true
	return nil
}

// optList is a comma-separated list; "" is the empty list.
type optList struct {
	v   []string
	set bool
}

func (o *optList) String() string { return strings.Join(o.v, ",") }
func (o *optList) Set(s string) error {
	o.v, o.set = []string{}, true
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			o.v = append(o.v, x)
		}
	}
	return nil
}

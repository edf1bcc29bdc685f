package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/licensedhq/licensed/issuer"
)

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const usage = `licensed — a license service for brands and their products

Usage:
  licensed serve
  licensed migrate
  licensed version
  licensed brands create --slug rankmath --name "Rank Math"
  licensed brands list | get --slug rankmath | update --slug rankmath --name "Rank Math SEO"
  licensed products create --brand rankmath --slug rankmath-pro --name "Rank Math Pro" [--seats 1] [--token-ttl 168h]
      [--free-instances 'localhost,*.test,staging.*'] [--max-free-activations 3] [--grace-days 0] [--activation-ttl 0]
  licensed products list --brand rankmath
  licensed products get --brand rankmath --slug rankmath-pro
  licensed products update --brand rankmath --slug rankmath-pro [--name ...] [any setting of create]
  licensed api-keys create --brand rankmath --name backend --scopes licenses:read,licenses:write
  licensed api-keys create --platform --name ops --scopes admin,licenses:read:all
  licensed api-keys list [--brand rankmath]
  licensed api-keys get (--id <id> | --prefix lk_<prefix>)
  licensed api-keys revoke (--id <id> | --prefix lk_<prefix>)
  licensed keys list
  licensed keys rotate
  licensed keys revoke --kid <kid>
  licensed keys master-id
  licensed keys new-master
  licensed keys rotate-master [--batch 100] [--limit 0]
  licensed version
  licensed healthcheck [--addr 127.0.0.1:8080] [--timeout 3s]   # GET /healthz on the listen address: exit 0 on 200, else 1

'licensed <subcommand> --help' (or -h, or 'licensed help <subcommand>')
shows its usage, an example and its flags; 'licensed brands --help' lists
the actions of a group. List and get commands print JSON, or a table with
--output table.

serve holds a lock on an SQLite data dir (<data dir>/serve.lock): a second
serve on it exits 1 naming the first. LICENSED_ISSUER (--issuer) defaults to
http://localhost:<port> on a loopback address and is required on any other.

Every subcommand takes the store configuration of serve (--data-dir,
--database-url, --master-key, --master-key-old, --db-timeout, or their
LICENSED_* variables), applies pending migrations, and prints JSON on stdout
('keys master-id' and 'version' touch no store).

The master key (LICENSED_MASTER_KEY, or data/master.key on the embedded
default) seals the signing keys and license keys: back it up apart from the
database. No command creates one while the store holds secrets sealed under
another; a missing or wrong key stops the command with how to restore it.
Rotating it: 'keys new-master' (embedded default) or a new LICENSED_MASTER_KEY
with the current one in LICENSED_MASTER_KEY_OLD, then 'keys rotate-master',
which re-seals every secret under the new key and can be run again to resume;
'keys master-id' prints the ids of the configured keys.
`

// Run runs one subcommand.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("no subcommand given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return m.run(ctx, "serve", rest, nil, m.serve)
	case "migrate":
		return m.run(ctx, "migrate", rest, nil, m.migrate)
	case "brands", "products", "api-keys", "keys":
		return m.admin(ctx, cmd, rest)
	case "version", "--version":
		return m.run(ctx, "version", rest, nil, func(context.Context) error { return m.print(buildVersion(), nil) })
	case "healthcheck":
		return m.runHealthcheck(ctx, rest)
	case "help", "-h", "--help", "-help":
		return m.help(ctx, rest)
	}
	return usagef("unknown subcommand %q", cmd)
}

func (m *Main) admin(ctx context.Context, group string, args []string) error {
	if len(args) == 0 {
		return usagef("%s: which action? (see 'licensed %s --help')", group, group)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		printGroupHelp(m.Stdout, group)
		return nil
	}
	name := group + " " + args[0]
	switch group {
	case "brands":
		return m.brands(ctx, name, args[1:])
	case "products":
		return m.products(ctx, name, args[1:])
	case "api-keys":
		return m.apiKeys(ctx, name, args[1:])
	}
	switch name {
	case "keys list", "keys revoke":
		return m.signingKeys(ctx, name, args[1:])
	case "keys master-id":
		return m.run(ctx, name, args[1:], nil, m.masterID)
	case "keys new-master":
		return m.run(ctx, name, args[1:], nil, m.newMaster)
	case "keys rotate-master":
		return m.rotateMaster(ctx, args[1:], name)
	case "keys rotate":
		return m.run(ctx, name, args[1:], nil, func(ctx context.Context) error {
			// Sync first: a store without an active key gets one, and the
			// rotation then publishes its successor.
			if err := m.keys.Sync(ctx); err != nil {
				return err
			}
			return m.print(m.keys.Rotate(ctx))
		})
	}
	return usagef("unknown subcommand %q (see 'licensed %s --help')", name, group)
}

func (m *Main) createAPIKey(ctx context.Context, name string, args []string) error {
	var brand, scopes string
	var platform bool
	var in issuer.APIKeyInput
	return m.run(ctx, name, args, func(fs *flag.FlagSet) {
		fs.StringVar(&brand, "brand", "", "slug of the brand the key belongs to")
		fs.BoolVar(&platform, "platform", false, "a platform key, of no brand")
		fs.StringVar(&in.Name, "name", "", "what the key is for")
		fs.StringVar(&scopes, "scopes", "", "comma-separated: "+strings.Join(issuer.Scopes, ","))
	}, func(ctx context.Context) error {
		if platform == (brand != "") {
			return usagef("give exactly one of --brand and --platform")
		}
		if !platform {
			in.Brand = &brand
		}
		for _, s := range strings.Split(scopes, ",") {
			if s = strings.TrimSpace(s); s != "" {
				in.Scopes = append(in.Scopes, s)
			}
		}
		return m.print(m.service.CreateAPIKey(ctx, issuer.AdminActor, cliOrigin(), in))
	})
}

func (m *Main) migrate(ctx context.Context) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	m.store = st
	n, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	return m.print(map[string]int{"applied": n}, nil)
}

// ParseFlags reads a subcommand's flags (the store configuration plus its
// own) over the environment into m.Config.
func (m *Main) ParseFlags(name string, args []string, own func(*flag.FlagSet)) error {
	fs := flag.NewFlagSet("licensed "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := m.Config.bind(fs, m.Getenv); err != nil {
		return usagef("%v", err)
	}
	if own != nil {
		own(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if d, ok := findDoc(name); ok {
				printCmdHelp(m.Stdout, d, own)
			} else {
				fs.SetOutput(m.Stdout)
				fs.PrintDefaults()
			}
		}
		return err
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", name, fs.Arg(0))
	}
	return nil
}

// run parses flags, opens the backend unless it is serve or migrate (which
// open what they need themselves), and runs fn.
func (m *Main) run(ctx context.Context, name string, args []string, own func(*flag.FlagSet), fn func(context.Context) error) error {
	if err := m.ParseFlags(name, args, own); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if _, ok := err.(usageError); ok {
		return err
	} else if err != nil {
		return usagef("%s: %v", name, err)
	}
	switch name {
	case "serve", "keys master-id", "version", "healthcheck":
	case "migrate":
		defer m.closeStore()
	default:
		defer m.closeStore()
		if err := m.openBackend(ctx); err != nil {
			return err
		}
	}
	return cliError(fn(ctx))
}

func (m *Main) closeStore() {
	if m.store != nil {
		m.store.Close()
	}
}

// fieldFlags names the flag of an input field where the two differ.
var fieldFlags = map[string]string{"default_seats": "seats", "token_ttl_seconds": "token-ttl", "activation_ttl_seconds": "activation-ttl"}

// cliError makes a service refusal read well on a terminal.
func cliError(err error) error {
	var e *issuer.Error
	if !errors.As(err, &e) {
		return err
	}
	msg := e.Code
	if e.Detail != "" && len(e.Fields) == 0 {
		msg += ": " + e.Detail
	}
	for _, f := range e.Fields {
		flagName, ok := fieldFlags[f.Field]
		if !ok {
			flagName = strings.ReplaceAll(f.Field, "_", "-")
		}
		msg += fmt.Sprintf("\n  --%s: %s", flagName, f.Message)
	}
	return errors.New(msg)
}

func (m *Main) print(v any, err error) error {
	if err != nil {
		return err
	}
	enc := json.NewEncoder(m.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cliOrigin() issuer.Origin { return issuer.Origin{RequestID: "cli", IP: "local"} }

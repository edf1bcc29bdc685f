package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// cmdDoc documents one subcommand for `licensed <cmd> --help`, `-h` and
// `licensed help <cmd>`.
type cmdDoc struct {
	name    string // "brands list"
	usage   string // the usage line, without "licensed "
	summary string
	example string
}

// cmdDocs lists every subcommand, in the order `licensed help` shows them.
// A function, not a package variable: nothing can change it.
func cmdDocs() []cmdDoc {
	return []cmdDoc{
		{"serve", "serve [--addr 127.0.0.1:8080] [--issuer URL]", "Run the HTTP API: the brand, product and admin APIs, JWKS, /docs and /metrics.", "licensed serve --data-dir /var/lib/licensed"},
		{"migrate", "migrate", "Apply pending schema migrations and print how many ran.", "licensed migrate --database-url postgres://licensed@db/licensed"},
		{"version", "version", "Print the version, commit and Go version of this binary.", "licensed version"},
		{"healthcheck", "healthcheck [--addr 127.0.0.1:8080] [--timeout 3s]",
			"GET /healthz of the server on the listen address (loopback when it listens on every address): exit 0 on 200, else 1. The container image's HEALTHCHECK, since the image has no shell tools.",
			"licensed healthcheck --addr 127.0.0.1:8080"},

		{"brands create", "brands create --slug SLUG --name NAME", "Add a brand.", `licensed brands create --slug rankmath --name "Rank Math"`},
		{"brands list", "brands list [--output json|table]", "List every brand, oldest first.", "licensed brands list --output table"},
		{"brands get", "brands get --slug SLUG [--output json|table]", "Show one brand.", "licensed brands get --slug rankmath"},
		{"brands update", "brands update --slug SLUG --name NAME", "Rename a brand (its slug never changes).", `licensed brands update --slug rankmath --name "Rank Math SEO"`},

		{"products create", "products create --brand SLUG --slug SLUG --name NAME [settings]", "Add a product to a brand; settings not given take their defaults.",
			`licensed products create --brand rankmath --slug rankmath-pro --name "Rank Math Pro" --seats 1 --token-ttl 168h`},
		{"products list", "products list --brand SLUG [--output json|table]", "List a brand's products with their settings.", "licensed products list --brand rankmath --output table"},
		{"products get", "products get --brand SLUG --slug SLUG [--output json|table]", "Show one product and its settings.", "licensed products get --brand rankmath --slug rankmath-pro"},
		{"products update", "products update --brand SLUG --slug SLUG [--name NAME] [settings]",
			"Change a product's name or settings; settings not given stay as they are. The change applies to the next answer for every license of the product; tokens already issued do not change.",
			"licensed products update --brand rankmath --slug rankmath-pro --seats 3 --grace-days 14"},

		{"api-keys create", "api-keys create (--brand SLUG | --platform) --name NAME --scopes SCOPE,...", "Make an API key; the key is printed this once and never stored.",
			"licensed api-keys create --brand rankmath --name backend --scopes licenses:read,licenses:write"},
		{"api-keys list", "api-keys list [--brand SLUG] [--output json|table]", "List API keys (never their secrets): prefix, name, brand, scopes, created, last used (to the minute), revoked.",
			"licensed api-keys list --brand rankmath --output table"},
		{"api-keys get", "api-keys get (--id ID | --prefix PREFIX) [--output json|table]", "Show one API key, named by its id or its prefix (lk_<prefix>, as the list shows it).",
			"licensed api-keys get --prefix lk_abcdefghijklmnop"},
		{"api-keys revoke", "api-keys revoke (--id ID | --prefix PREFIX)", "Revoke an API key at once: its next request is refused (401) on every replica.",
			"licensed api-keys revoke --prefix lk_abcdefghijklmnop"},

		{"keys list", "keys list [--output json|table]", "List the signing keys: state (next, active, retired, revoked) and whether the JWKS publishes them.", "licensed keys list --output table"},
		{"keys rotate", "keys rotate", "Publish a new signing key; it starts signing once the publish delay (10 minutes) has passed.", "licensed keys rotate"},
		{"keys revoke", "keys revoke --kid KID",
			"Withdraw a leaked signing key from the JWKS at once. Tokens it signed stop verifying offline as products refresh the JWKS. The active key is refused until 'keys rotate' has published its successor, which then signs at once.",
			"licensed keys rotate && licensed keys revoke --kid 3vV2...Qk"},
		{"keys master-id", "keys master-id", "Print the ids of the configured master keys (touches no store).", "licensed keys master-id"},
		{"keys new-master", "keys new-master", "Write a new master key beside the current one (embedded default only), for 'keys rotate-master'.", "licensed keys new-master"},
		{"keys rotate-master", "keys rotate-master [--batch 100] [--limit 0]", "Re-seal every secret under the new master key; run it again to resume.",
			"LICENSED_MASTER_KEY_OLD=$OLD LICENSED_MASTER_KEY=$NEW licensed keys rotate-master"},
	}
}

func findDoc(name string) (cmdDoc, bool) {
	for _, d := range cmdDocs() {
		if d.name == name {
			return d, true
		}
	}
	return cmdDoc{}, false
}

// groups are the first words of subcommands that take an action.
func isGroup(s string) bool {
	switch s {
	case "brands", "products", "api-keys", "keys":
		return true
	}
	return false
}

// printGroupHelp answers `licensed brands --help`: each action's usage and
// example.
func printGroupHelp(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: licensed %s <action> [flags]\n\nActions:\n", group)
	for _, d := range cmdDocs() {
		if strings.HasPrefix(d.name, group+" ") {
			fmt.Fprintf(w, "  licensed %s\n      %s\n      e.g. %s\n", d.usage, d.summary, d.example)
		}
	}
	fmt.Fprintf(w, "\n'licensed %s <action> --help' shows an action's flags.\n", group)
}

// storeFlagsNote ends every subcommand's help: the store flags are the same
// everywhere and their defaults come from the environment, so they are
// described once, in 'licensed help'.
const storeFlagsNote = `Store flags (every subcommand but 'keys master-id', 'version' and 'healthcheck'): --data-dir,
--database-url, --master-key, --master-key-old, --db-timeout, or their
LICENSED_* variables; see 'licensed help'.
`

// printCmdHelp answers `licensed <cmd> --help`: usage line, what it does,
// an example, and the command's own flags.
func printCmdHelp(w io.Writer, d cmdDoc, own func(*flag.FlagSet)) {
	fmt.Fprintf(w, "Usage: licensed %s\n\n%s\n\nExample:\n  %s\n", d.usage, d.summary, d.example)
	if own != nil {
		fs := flag.NewFlagSet(d.name, flag.ContinueOnError)
		own(fs)
		fs.SetOutput(w)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprint(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	if d.name != "version" && d.name != "keys master-id" && d.name != "healthcheck" {
		fmt.Fprint(w, "\n"+storeFlagsNote)
	}
}

// help answers `licensed help [cmd...]`: for one subcommand, what
// `licensed <cmd> --help` answers.
func (m *Main) help(ctx context.Context, args []string) error {
	switch {
	case len(args) == 0:
		fmt.Fprint(m.Stdout, usage)
		return nil
	case len(args) == 1 && isGroup(args[0]):
		printGroupHelp(m.Stdout, args[0])
		return nil
	}
	name := strings.Join(args, " ")
	if _, ok := findDoc(name); !ok {
		return usagef("help: unknown subcommand %q", name)
	}
	return m.Run(ctx, append(slices.Clone(args), "--help"))
}

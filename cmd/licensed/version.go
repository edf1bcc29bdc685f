package main

import (
	"runtime"
	"runtime/debug"

	"github.com/licensedhq/licensed/issuer/httpapi"
)

// version is the release, set at build time (make build: -ldflags
// "-X main.version=..."). It is the one package variable of the command,
// written only by the linker; empty means the module version from the
// build info.
var version string

// buildVersion describes this binary: GET /version and `licensed version`.
func buildVersion() httpapi.Version {
	v := httpapi.Version{Version: version, Go: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if v.Version == "" {
			v.Version = "unknown"
		}
		return v
	}
	if v.Version == "" {
		v.Version = info.Main.Version
	}
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && v.Commit != "" {
		v.Commit += "-dirty"
	}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	return v
}

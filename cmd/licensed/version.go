package main

import (
	"runtime"
	"runtime/debug"

	"github.com/licensedhq/licensed/issuer/httpapi"
)

// version and commit are set at build time (make build: -ldflags
// "-X main.version=... -X main.commit=..."). They are the only package
// variables of the command, written only by the linker; empty means what
// the build info says (the module version, the VCS revision go build
// stamped).
var version, commit string

// buildVersion describes this binary: GET /version and `licensed version`.
func buildVersion() httpapi.Version {
	v := httpapi.Version{Version: version, Commit: commit, Go: runtime.Version()}
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
	if commit != "" {
		v.Commit = commit
	}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	return v
}

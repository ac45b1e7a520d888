package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print rolehop's version",
		Example: "  rolehop version",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, _ := debug.ReadBuildInfo()
			_, err := fmt.Fprintf(a.out(cmd), "rolehop %s (%s, %s/%s)\n", buildVersion(a.sys.Version, info), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}

// buildVersion is the version the binary says it is: linked, when the build gave one (make build
// links in git describe); else the module version the go command recorded, which is the release
// for go install ...@v1.2.3 and, for a build in a git checkout, a pseudo-version that holds the
// commit (v0.0.0-20261201120000-7b37e5990b36, +dirty when the tree had changes); then the commit
// the build recorded, when the version does not already hold it. "(devel)" alone means the build
// recorded neither (go build -buildvcs=false, or outside a git checkout).
func buildVersion(linked string, info *debug.BuildInfo) string {
	if linked != "" {
		return linked
	}
	if info == nil {
		return "(unknown)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if len(revision) >= 12 && !strings.Contains(v, revision[:12]) {
		v += " " + revision[:12]
		if modified == "true" {
			v += "-dirty"
		}
	}
	return v
}

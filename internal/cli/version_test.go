package cli

import (
	"runtime/debug"
	"testing"
)

func TestBuildVersion(t *testing.T) {
	vcs := func(version string, settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/rolehop/rolehop", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	const rev = "7b37e5990b36305e6904a9a46b632ea4f7544c99"
	tests := []struct {
		name   string
		linked string
		info   *debug.BuildInfo
		want   string
	}{
		{"make build links git describe", "v1.4.0-3-g7b37e59-dirty", vcs("(devel)"), "v1.4.0-3-g7b37e59-dirty"},
		{"go install of a release", "", vcs("v1.4.0"), "v1.4.0"},
		{"go install in a checkout", "", vcs("v0.0.0-20261202000316-7b37e5990b36+dirty", "vcs.revision", rev, "vcs.modified", "true"),
			"v0.0.0-20261202000316-7b37e5990b36+dirty"},
		{"a commit the version does not hold", "", vcs("(devel)", "vcs.revision", rev, "vcs.modified", "false"), "(devel) 7b37e5990b36"},
		{"a changed tree", "", vcs("(devel)", "vcs.revision", rev, "vcs.modified", "true"), "(devel) 7b37e5990b36-dirty"},
		{"nothing recorded", "", vcs("(devel)"), "(devel)"},
		{"no build information", "", nil, "(unknown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := buildVersion(tt.linked, tt.info); got != tt.want {
				t.Errorf("buildVersion() = %q, want %q", got, tt.want)
			}
		})
	}
}

package settings

import (
	"github.com/rolehop/rolehop/internal/settings/spec"
	"github.com/spf13/pflag"
)

// AddFlags registers every setting's flag and aliases on fs, but for exec's own.
func AddFlags(fs *pflag.FlagSet) { addFlags(fs, false) }

// AddExecFlags registers every setting's flag, exec's own included.
func AddExecFlags(fs *pflag.FlagSet) { addFlags(fs, true) }

func addFlags(fs *pflag.FlagSet, exec bool) {
	alias := map[string]string{}
	for _, s := range spec.Settings() {
		if s.ExecOnly && !exec {
			continue
		}
		// Flags are registered without pflag's defaults: the layers below a flag may set the
		// value, so an empty flag means "not given", and Help shows the default instead.
		switch s.Kind {
		case spec.RoleARNs:
			fs.StringArray(s.Flag, nil, s.Help())
		case spec.Bool:
			fs.Bool(s.Flag, false, s.Help())
		default:
			fs.String(s.Flag, "", s.Help())
		}
		for _, a := range append(append([]string{}, s.Aliases...), s.HiddenAliases...) {
			alias[a] = s.Flag
		}
	}
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if to, ok := alias[name]; ok {
			return pflag.NormalizedName(to)
		}
		return pflag.NormalizedName(name)
	})
}

package settings

import (
	"fmt"
	"strconv"
	"strings"

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
			fs.VarPF(&onceValue{isBool: true}, s.Flag, "", s.Help()).NoOptDefVal = "true"
		default:
			fs.Var(&onceValue{}, s.Flag, s.Help())
		}
		for _, a := range names(s)[1:] {
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

// names are the names of a setting's flag: its own, then its aliases, then the hidden ones.
func names(s spec.Setting) []string {
	return append(append([]string{s.Flag}, s.Aliases...), s.HiddenAliases...)
}

// onceValue is the value of a flag that takes one value (every kind but RoleARNs). It keeps each
// value given, so that the flag given twice, under its name or an alias, with two different
// values is an error (see checkFlags) rather than the last one silently winning: which of
// --duration and --role-duration-seconds came last is not what anyone means.
type onceValue struct {
	isBool bool
	values []string
}

func (v *onceValue) Set(s string) error {
	if v.isBool {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		s = strconv.FormatBool(b)
	}
	v.values = append(v.values, s)
	return nil
}

func (v *onceValue) String() string {
	switch {
	case len(v.values) > 0:
		return v.values[len(v.values)-1]
	case v.isBool:
		return "false"
	}
	return ""
}

func (v *onceValue) Type() string {
	if v.isBool {
		return "bool"
	}
	return "string"
}

// differ returns the first two different values given, if there are two.
func (v *onceValue) differ() (a, b string, ok bool) {
	for _, s := range v.values[min(1, len(v.values)):] {
		if s != v.values[0] {
			return v.values[0], s, true
		}
	}
	return "", "", false
}

// UsageError is a mistake on the command line itself, such as a flag given twice with different
// values; commands report it as one.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// checkFlags refuses a setting given more than once on the command line with different values.
// The values of a secret are not repeated.
func checkFlags(fs *pflag.FlagSet) error {
	for _, s := range spec.Settings() {
		f := fs.Lookup(s.Flag)
		if f == nil || !f.Changed {
			continue
		}
		v, ok := f.Value.(*onceValue)
		if !ok {
			continue
		}
		a, b, twice := v.differ()
		if !twice {
			continue
		}
		msg := fmt.Sprintf("flag --%s: given more than once with different values", s.Flag)
		if !s.Secret {
			msg += fmt.Sprintf(", %q and %q", a, b)
		}
		if all := names(s); len(all) > 1 {
			msg += fmt.Sprintf(" (--%s and --%s are one flag)", strings.Join(all[:len(all)-1], ", --"), all[len(all)-1])
		}
		return &UsageError{Err: fmt.Errorf("%s; give it once", msg)}
	}
	return nil
}

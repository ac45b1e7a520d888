package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rolehop/rolehop/internal/configfile"
	"github.com/rolehop/rolehop/internal/settings/spec"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagError makes every flag parsing error a usage error, and adds to one about an unknown flag
// the closest flag cmd has (aliases included): "unknown flag: --iam-rol (did you mean
// --iam-role?)". On a command with subcommands, an unknown first word is the mistake, whatever
// the flags after it are: `rolehop exce --iam-role ARN` misspells exec.
func (a *app) flagError(cmd *cobra.Command, err error) error {
	if found, rest, findErr := cmd.Root().Find(a.sys.Args); findErr == nil && found == cmd && len(rest) > 0 && cmd.HasAvailableSubCommands() {
		return unknownCommand(cmd, rest[0])
	}
	var missing *pflag.NotExistError
	if errors.As(err, &missing) && missing.GetSpecifiedShortnames() == "" {
		if best := configfile.Closest(missing.GetSpecifiedName(), flagNames(cmd)); best != "" {
			err = fmt.Errorf("%w (did you mean --%s?)", err, best)
		}
	}
	return &usageError{err}
}

// flagNames are the names of the flags cmd shows in its help, and the aliases of its settings.
func flagNames(cmd *cobra.Command) []string {
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	for _, s := range spec.Settings() {
		if cmd.Flags().Lookup(s.Flag) != nil {
			names = append(names, s.Aliases...)
		}
	}
	return names
}

// unknownCommand is the usage error for a word that is none of cmd's subcommands or arguments,
// with the subcommands it may be a typo of.
func unknownCommand(cmd *cobra.Command, word string) error {
	msg := fmt.Sprintf("unknown command or argument %q for %q", word, cmd.CommandPath())
	if near := cmd.SuggestionsFor(word); len(near) > 0 {
		last := len(near) - 1
		if last > 0 {
			near = []string{strings.Join(near[:last], ", "), near[last]}
		}
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(near, " or "))
	}
	return &usageError{errors.New(msg)}
}

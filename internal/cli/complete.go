package cli

import (
	"github.com/rolehop/rolehop/internal/awsprofile"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/spf13/cobra"
)

// addCompletions teaches the shell completion what rolehop knows: the profile names of the
// shared files for every --profile, and the stored names for credentials remove. A completion
// never asks anything: what cannot be read without a prompt completes to nothing.
func (a *app) addCompletions(root *cobra.Command) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("profile") != nil {
			// Each command has a flag of its own; registering one cannot fail.
			_ = c.RegisterFlagCompletionFunc("profile", a.completeProfiles)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if remove, _, err := root.Find([]string{"credentials", "remove"}); err == nil && remove.Name() == "remove" {
		remove.ValidArgsFunction = a.completeStored
	}
}

func (a *app) completeProfiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	names, err := awsprofile.Names(a.profileOptions())
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completeStored lists the stored names when the store opens without a prompt.
func (a *app) completeStored(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	st, err := settings.ResolveStore(settings.Inputs{Flags: cmd.Flags(), LookupEnv: a.sys.LookupEnv, Dir: a.sys.Dir})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	store, err := a.openStore(st, false)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	items, err := store.ListCredentials()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, it := range items {
		names = append(names, it.Name)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

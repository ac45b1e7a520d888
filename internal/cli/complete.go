package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolehop/rolehop/internal/awsprofile"
	"github.com/rolehop/rolehop/internal/oidctoken"
	"github.com/rolehop/rolehop/internal/secretstore"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/rolehop/rolehop/internal/settings/spec"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// completionScripts gives the completion command its examples, and adds to the bash script
// the stand-in it needs where bash-completion is not installed (see bashWords).
func completionScripts(root *cobra.Command) {
	completion, _, err := root.Find([]string{"completion"})
	if err != nil || completion.Name() != "completion" {
		return
	}
	completion.Example = `  source <(rolehop completion bash)
  rolehop completion zsh > "${fpath[1]}/_rolehop"
  rolehop completion fish | source
  rolehop completion powershell | Out-String | Invoke-Expression`
	if bash, _, err := completion.Find([]string{"bash"}); err == nil && bash.Name() == "bash" && bash.RunE != nil {
		script := bash.RunE
		bash.RunE = func(cmd *cobra.Command, args []string) error {
			if err := script(cmd, args); err != nil {
				return err
			}
			_, err := io.WriteString(cmd.OutOrStdout(), bashWords)
			return err
		}
	}
}

// forCompletion readies the command tree for a completion request (cobra's hidden __complete
// command), and only for one: no other run reads what it sets.
//
// It teaches the completion what rolehop knows: the values of the flags that take one of a few
// (--format, --output, --web-identity-provider, --keyring-backend, --region), the profile names
// of the shared files for every --profile, the stored names for credentials remove, and the
// programs on PATH for exec's COMMAND. A completion never asks anything: what cannot be read
// without a prompt completes to nothing.
//
// A request lists flags with their usage as descriptions: the usage loses the back quotes that
// name a flag's argument in help, and each setting's aliases become flags of their own (their
// value shared with the setting's flag), so that the shell offers them too. Parsing outside a
// completion request is left as it is, aliases normalized to their setting's flag.
func (a *app) forCompletion(root *cobra.Command) {
	values := map[string]cobra.CompletionFunc{
		"profile":               a.completeProfiles,
		"format":                cobra.FixedCompletions(formats(), cobra.ShellCompDirectiveNoFileComp),
		"output":                cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp),
		"web-identity-provider": cobra.FixedCompletions(oidctoken.Providers(), cobra.ShellCompDirectiveNoFileComp),
		"keyring-backend":       cobra.FixedCompletions(secretstore.Backends(), cobra.ShellCompDirectiveNoFileComp),
		"region":                cobra.FixedCompletions(regions(), cobra.ShellCompDirectiveNoFileComp),
	}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		fs := c.Flags()
		fs.SetNormalizeFunc(nil)
		for name, complete := range values {
			if fs.Lookup(name) != nil {
				// Each command has flags of its own; registering one cannot fail.
				_ = c.RegisterFlagCompletionFunc(name, complete)
			}
		}
		for _, s := range spec.Settings() {
			f := fs.Lookup(s.Flag)
			if f == nil {
				continue
			}
			for _, alias := range s.Aliases {
				fs.AddFlag(&pflag.Flag{Name: alias, Usage: "the same as --" + s.Flag, Value: f.Value, DefValue: f.DefValue, NoOptDefVal: f.NoOptDefVal})
			}
		}
		for _, set := range []*pflag.FlagSet{fs, c.PersistentFlags()} {
			set.VisitAll(func(f *pflag.Flag) { _, f.Usage = pflag.UnquoteUsage(f) })
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if remove, _, err := root.Find([]string{"credentials", "remove"}); err == nil && remove.Name() == "remove" {
		remove.ValidArgsFunction = a.completeStored
	}
	if exec, _, err := root.Find([]string{"exec"}); err == nil && exec.Name() == "exec" {
		exec.ValidArgsFunction = a.completeCommand
	}
}

// isCompletion reports whether cmd is cobra's completion request command.
func isCompletion(cmd *cobra.Command) bool {
	return cmd != nil && (cmd.Name() == cobra.ShellCompRequestCmd || cmd.Name() == cobra.ShellCompNoDescRequestCmd)
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

// completeCommand completes exec's COMMAND as a shell does: the programs in the absolute
// directories of PATH (the ones exec looks in), or a path when a / is typed; the command's own
// arguments complete to file names.
func (a *app) completeCommand(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 || strings.ContainsRune(toComplete, filepath.Separator) {
		return nil, cobra.ShellCompDirectiveDefault
	}
	path, _ := a.sys.LookupEnv("PATH")
	var names []string
	seen := map[string]bool{}
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if seen[name] || !strings.HasPrefix(name, toComplete) {
				continue
			}
			if info, err := os.Stat(filepath.Join(dir, name)); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// regions are the regions of the partitions rolehop knows (aws, aws-us-gov, aws-cn), as the
// AWS SDK for Go's partition metadata lists them (aws-sdk-go-v2 v1.47.7,
// internal/endpoints/awsrulesfn/partitions.json). They only complete --region: any name that
// looks like a region is accepted, so a region newer than this list works too.
func regions() []string {
	return []string{
		"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
		"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1",
		"eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
		"il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
		"us-west-1", "us-west-2",
		"us-gov-east-1", "us-gov-west-1",
		"cn-north-1", "cn-northwest-1",
	}
}

// bashWords follows the script cobra writes for bash. That script takes the words of the line
// from bash-completion's _get_comp_words_by_ref; where that package is not installed, this
// stand-in gives them: the line up to the cursor split at blanks that are not quoted or
// escaped, so that --profile=dev and an ARN stay one word each (what cobra's "-n =:" asks
// for), and sets cur, prev, words and cword, the names cobra's script asks for and declares.
// When bash-completion is loaded, its own function is used.
const bashWords = `
# Without the bash-completion package: a stand-in for its _get_comp_words_by_ref.
if ! declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
_get_comp_words_by_ref() {
    local line=${COMP_LINE:0:COMP_POINT} word="" quote="" c i
    words=()
    for ((i = 0; i < ${#line}; i++)); do
        c=${line:i:1}
        if [[ -n $quote ]]; then
            [[ $c == "$quote" ]] && quote=""
            word+=$c
        elif [[ $c == \\ ]]; then
            word+=$c${line:i+1:1}
            ((i++))
        elif [[ $c == [\"\'] ]]; then
            quote=$c
            word+=$c
        elif [[ $c == [[:blank:]] ]]; then
            [[ -n $word ]] && words+=("$word")
            word=""
        else
            word+=$c
        fi
    done
    words+=("$word")
    cword=$((${#words[@]} - 1))
    cur=$word
    prev=${words[cword-1]}
}
fi
`

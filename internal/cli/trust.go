package cli

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"text/tabwriter"

	"github.com/rolehop/rolehop/internal/configfile"
	"github.com/rolehop/rolehop/internal/trust"
	"github.com/spf13/cobra"
)

func (a *app) trustCmd() *cobra.Command {
	var list, remove bool
	c := &cobra.Command{
		Use:   "trust [FILE] | trust --list | trust --remove [FILE]",
		Short: "Let a rolehop.hcl run the programs it names (auth_provider_cmd, mfa_token_cmd)",
		Long: `Any repository can carry a rolehop.hcl, and rolehop reads every one from the working directory
up. So a file found that way may set auth_provider_cmd or mfa_token_cmd, which rolehop runs,
only once you trust it; its other settings need no trust. Review the file, then trust it:
rolehop records its path (symlinks resolved) and the SHA-256 of its content in
$XDG_CONFIG_HOME/rolehop/trusted (default ~/.config/rolehop/trusted). Once the file changes it
is not trusted until you trust it again. FILE defaults to the nearest rolehop.hcl from the
working directory up.

A file named with --config (or ROLEHOP_CONFIG) needs no trust, nor do flags and environment
variables. ROLEHOP_TRUSTED_PATHS, absolute directories separated by ':', trusts every file below
them (for CI).`,
		Example: `  rolehop trust
  rolehop trust ~/src/rolehop.hcl
  rolehop trust --list
  rolehop trust --remove ~/src/rolehop.hcl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) > 1:
				return &usageError{fmt.Errorf("%s takes at most one FILE, got %d arguments", cmd.CommandPath(), len(args))}
			case list && (remove || len(args) > 0):
				return &usageError{errors.New("--list takes no FILE and cannot be used with --remove")}
			case list:
				return a.listTrusted(cmd)
			}
			var file string
			if len(args) == 1 {
				file = args[0]
			}
			if remove {
				return a.untrust(cmd, file)
			}
			return a.trust(cmd, file)
		},
	}
	c.Flags().BoolVar(&list, "list", false, "list the trusted files and whether each still has the content that was trusted")
	c.Flags().BoolVar(&remove, "remove", false, "stop trusting FILE")
	return c
}

// trusted is the check settings make of each discovered rolehop.hcl: ROLEHOP_TRUSTED_PATHS and
// the trust list, read once, when first needed.
func (a *app) trusted() func(string, [sha256.Size]byte) (trust.Verdict, error) {
	policy := sync.OnceValues(func() (trust.Policy, error) { return trust.FromEnv(a.sys.LookupEnv) })
	return func(path string, sum [sha256.Size]byte) (trust.Verdict, error) {
		p, err := policy()
		if err != nil {
			return trust.Verdict{}, err
		}
		return p.Check(path, sum)
	}
}

func (a *app) trustList() (*trust.List, error) {
	path, err := trust.ListPath(a.sys.LookupEnv)
	if err != nil {
		return nil, err
	}
	return trust.Load(path)
}

// trustTarget returns the absolute path of the file a trust command is about: FILE, taken from
// the working directory (the rolehop.hcl in it, if it is a directory), else the nearest
// rolehop.hcl.
func (a *app) trustTarget(file string) (string, error) {
	if file != "" {
		if !filepath.IsAbs(file) {
			file = filepath.Join(a.sys.Dir, file)
		}
		if fi, err := os.Stat(file); err == nil && fi.IsDir() {
			file = filepath.Join(file, configfile.FileName)
		}
		return filepath.Clean(file), nil
	}
	path, ok, err := configfile.Nearest(a.sys.Dir)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("no %s in %s or any parent; name the file: rolehop trust FILE", configfile.FileName, a.sys.Dir)
	}
	return path, nil
}

func (a *app) trust(cmd *cobra.Command, file string) error {
	path, err := a.trustTarget(file)
	if err != nil {
		return err
	}
	content, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("trust %s: %w", path, unwrapPath(err))
	}
	real, err := trust.Canonical(path)
	if err != nil {
		return fmt.Errorf("trust %s: %w", path, unwrapPath(err))
	}
	l, err := a.trustList()
	if err != nil {
		return err
	}
	if err := l.Add(real, sha256.Sum256(content)); err != nil {
		return err
	}
	if err := l.Save(); err != nil {
		return err
	}
	fmt.Fprintf(a.out(cmd), "trusted %s until it changes\n", real)
	return nil
}

func (a *app) untrust(cmd *cobra.Command, file string) error {
	path, err := a.trustTarget(file)
	if err != nil {
		return err
	}
	l, err := a.trustList()
	if err != nil {
		return err
	}
	real := recordedPath(path)
	if !l.Remove(real) {
		return fmt.Errorf("%s is not in the list of trusted files; see 'rolehop trust --list'", real)
	}
	if err := l.Save(); err != nil {
		return err
	}
	fmt.Fprintf(a.out(cmd), "no longer trusted: %s\n", real)
	return nil
}

// recordedPath returns the path a file is recorded under, also for a file that no longer exists:
// then its directory's symlinks are resolved, else the path is only cleaned.
func recordedPath(path string) string {
	if real, err := trust.Canonical(path); err == nil {
		return real
	}
	if dir, err := trust.Canonical(filepath.Dir(path)); err == nil {
		return filepath.Join(dir, filepath.Base(path))
	}
	return filepath.Clean(path)
}

func (a *app) listTrusted(cmd *cobra.Command) error {
	l, err := a.trustList()
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(a.out(cmd), 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "FILE\tSTATE")
	for _, e := range l.Entries() {
		state := "unreadable"
		if s, err := e.State(); err == nil {
			state = s.String()
		} else {
			state += ": " + unwrapPath(err).Error()
		}
		fmt.Fprintf(w, "%s\t%s\n", e.Path, state)
	}
	return w.Flush()
}

// unwrapPath drops the path an *fs.PathError repeats, for messages that name the file already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

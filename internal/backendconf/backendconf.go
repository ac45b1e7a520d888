// Package backendconf reads the configuration of an S3 state backend from where
// OpenTofu/Terraform and Terragrunt keep it: the backend "s3" block of the *.tf files of a
// directory, and Terragrunt's remote_state block in terragrunt.hcl or in the root file it
// includes. Only the settings that decide permissions are read.
//
// A setting written as an expression that cannot be evaluated without running Terragrunt
// (path_relative_to_include(), get_env(...), get_aws_account_id(), ...) is read as a pattern:
// the literal parts of its template are kept and every other part becomes the IAM wildcard
// '*', the narrowest pattern that covers every value the expression can take.
package backendconf

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// TerragruntFile is the name of a Terragrunt unit's configuration.
const TerragruntFile = "terragrunt.hcl"

// maxFileSize bounds what is read of one configuration file; backend configurations are a
// few hundred bytes.
const maxFileSize = 1 << 20

// Origin is where a setting or block is written.
type Origin struct {
	File string // as shown: relative to the working directory when that is shorter
	Line int
}

func (o Origin) String() string { return fmt.Sprintf("%s:%d", o.File, o.Line) }

// String is a setting whose value is text.
type String struct {
	Value string
	// Pattern is set when Value is a pattern with '*' standing for what could not be
	// evaluated; Expr is then the expression as written.
	Pattern bool
	Expr    string
	At      Origin
	Set     bool
}

// Bool is a setting whose value is true or false.
type Bool struct {
	Value bool
	At    Origin
	Set   bool
}

// Config is what the files say about the backend. Later sources override earlier ones, as
// Terraform's partial configuration does: the *.tf files, then Terragrunt's remote_state.
type Config struct {
	Bucket             String
	Key                String
	Region             String
	DynamoDBTable      String
	KMSKeyID           String
	WorkspaceKeyPrefix String
	UseLockfile        Bool
	// Blocks are the backend and remote_state blocks read, in the order read; none when the
	// files configure no backend.
	Blocks []Origin
}

// Read reads the backend configuration at path: a directory (its *.tf files and its
// terragrunt.hcl), a .tf file, or a Terragrunt file such as root.hcl. dir is the working
// directory, which origins are shown relative to.
func Read(path, dir string) (*Config, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	r := &reader{dir: dir, c: &Config{}}
	switch {
	case fi.IsDir():
		if err := r.readTFDir(path); err != nil {
			return nil, err
		}
		tg := filepath.Join(path, TerragruntFile)
		if _, err := os.Stat(tg); err == nil {
			return r.c, r.readTerragrunt(tg)
		}
		return r.c, nil
	case strings.HasSuffix(path, ".tf"):
		return r.c, r.readTF([]string{path})
	default:
		return r.c, r.readTerragrunt(path)
	}
}

type reader struct {
	dir string
	c   *Config
}

// parse reads and parses one file.
func (r *reader) parse(path string) (*hclsyntax.Body, []byte, error) {
	src, err := readLimited(path)
	if err != nil {
		return nil, nil, err
	}
	f, diags := hclsyntax.ParseConfig(src, display.Path(path, r.dir), hcl.InitialPos)
	if diags.HasErrors() {
		return nil, nil, errors.New(diags[0].Error())
	}
	return f.Body.(*hclsyntax.Body), src, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(src) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes; it is not a backend configuration", path, maxFileSize)
	}
	return src, nil
}

func (r *reader) origin(path string, pos hcl.Pos) Origin {
	return Origin{File: display.Path(path, r.dir), Line: pos.Line}
}

// readTFDir reads the *.tf files of dir, override files last, as Terraform merges them.
func (r *reader) readTFDir(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return err
	}
	slices.SortStableFunc(files, func(a, b string) int {
		switch {
		case isOverride(a) == isOverride(b):
			return strings.Compare(a, b)
		case isOverride(a):
			return 1
		}
		return -1
	})
	return r.readTF(files)
}

// isOverride reports whether path is a Terraform override file: override.tf or *_override.tf.
func isOverride(path string) bool {
	b := filepath.Base(path)
	return b == "override.tf" || strings.HasSuffix(b, "_override.tf")
}

// readTF reads the backend block of the terraform blocks of files. Only an override file may
// configure the backend a second time.
func (r *reader) readTF(files []string) error {
	var first *Origin
	for _, path := range files {
		body, src, err := r.parse(path)
		if err != nil {
			return err
		}
		for _, tb := range body.Blocks {
			if tb.Type != "terraform" {
				continue
			}
			for _, b := range tb.Body.Blocks {
				at := r.origin(path, b.DefRange().Start)
				switch {
				case b.Type == "cloud":
					return fmt.Errorf("%s configures HCP Terraform (a cloud block), not an S3 backend", at)
				case b.Type != "backend":
					continue
				case len(b.Labels) != 1 || b.Labels[0] != "s3":
					return fmt.Errorf("%s configures the %q backend; rolehop policy knows the S3 backend only", at, strings.Join(b.Labels, " "))
				case first != nil && !isOverride(path):
					return fmt.Errorf("%s and %s both configure the backend; Terraform allows one", first, at)
				}
				first = &at
				r.c.Blocks = append(r.c.Blocks, at)
				if err := r.readAttrs(path, src, b.Body.Attributes, nil); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readAttrs reads the settings among attrs, evaluated in ctx.
func (r *reader) readAttrs(path string, src []byte, attrs hclsyntax.Attributes, ctx *hcl.EvalContext) error {
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		a := attrs[name]
		if err := r.set(name, a.Expr, src, r.origin(path, a.Expr.StartRange().Start), ctx); err != nil {
			return err
		}
	}
	return nil
}

// set reads setting name from expr, if it is one that decides permissions.
func (r *reader) set(name string, expr hclsyntax.Expression, src []byte, at Origin, ctx *hcl.EvalContext) error {
	var target *String
	switch name {
	case "bucket":
		target = &r.c.Bucket
	case "key":
		target = &r.c.Key
	case "region":
		target = &r.c.Region
	case "dynamodb_table", "lock_table":
		target = &r.c.DynamoDBTable
	case "kms_key_id":
		target = &r.c.KMSKeyID
	case "workspace_key_prefix":
		target = &r.c.WorkspaceKeyPrefix
	case "use_lockfile":
		v, diags := expr.Value(ctx)
		if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() || v.Type() != cty.Bool {
			return fmt.Errorf("use_lockfile at %s is not a literal true or false; set it to one, or use --lockfile", at)
		}
		r.c.UseLockfile = Bool{Value: v.True(), At: at, Set: true}
		return nil
	default:
		return nil
	}
	s, pattern, null := text(expr, ctx)
	if null {
		return nil
	}
	*target = String{Value: s, Pattern: pattern, At: at, Set: true}
	if pattern {
		rng := expr.Range()
		target.Expr = string(src[rng.Start.Byte:rng.End.Byte])
	}
	return nil
}

// text evaluates expr as a string. What cannot be evaluated becomes '*': a template keeps its
// literal parts, anything else is '*' as a whole. null reports a null value (no setting).
func text(expr hclsyntax.Expression, ctx *hcl.EvalContext) (s string, pattern, null bool) {
	if v, diags := expr.Value(ctx); !diags.HasErrors() && v.IsWhollyKnown() {
		if v.IsNull() {
			return "", false, true
		}
		if sv, err := convert.Convert(v, cty.String); err == nil {
			return sv.AsString(), false, false
		}
	}
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		var b strings.Builder
		for _, part := range e.Parts {
			p, _, _ := text(part, ctx)
			b.WriteString(p)
		}
		return collapseStars(b.String()), true, false
	case *hclsyntax.TemplateWrapExpr:
		return text(e.Wrapped, ctx)
	}
	return "*", true, false
}

// collapseStars replaces each run of '*' with one: the pattern matches the same keys.
func collapseStars(s string) string {
	for strings.Contains(s, "**") {
		s = strings.ReplaceAll(s, "**", "*")
	}
	return s
}

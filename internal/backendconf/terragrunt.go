package backendconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// readTerragrunt reads the remote_state block of a Terragrunt file, or, when it has none, of
// the last file it includes that has one: Terragrunt merges included files in order and the
// including file's own blocks replace theirs.
func (r *reader) readTerragrunt(path string) error {
	body, src, err := r.parse(path)
	if err != nil {
		return err
	}
	var state *hclsyntax.Block
	var includes []*hclsyntax.Block
	for _, b := range body.Blocks {
		switch b.Type {
		case "remote_state":
			if state != nil {
				return fmt.Errorf("%s: a second remote_state block; Terragrunt allows one", r.origin(path, b.DefRange().Start))
			}
			state = b
		case "include":
			includes = append(includes, b)
		}
	}
	if state != nil {
		return r.readRemoteState(path, src, state, locals(body))
	}
	for i := len(includes) - 1; i >= 0; i-- {
		included, err := r.includePath(path, includes[i])
		if err != nil {
			return err
		}
		if found, err := r.readIncluded(included); found || err != nil {
			return err
		}
	}
	return nil
}

// readIncluded reads the remote_state block of an included file, if it has one. Terragrunt
// does not follow includes of included files.
func (r *reader) readIncluded(path string) (bool, error) {
	body, src, err := r.parse(path)
	if err != nil {
		return false, err
	}
	for _, b := range body.Blocks {
		if b.Type == "remote_state" {
			return true, r.readRemoteState(path, src, b, locals(body))
		}
	}
	return false, nil
}

// readRemoteState reads remote_state { backend = "s3" config = { ... } }.
func (r *reader) readRemoteState(path string, src []byte, b *hclsyntax.Block, ctx *hcl.EvalContext) error {
	at := r.origin(path, b.DefRange().Start)
	backend, ok := b.Body.Attributes["backend"]
	if !ok {
		return fmt.Errorf("%s: remote_state has no backend", at)
	}
	if name, _, _ := text(backend.Expr, ctx); name != "s3" {
		return fmt.Errorf("%s: remote_state uses the %q backend; rolehop policy knows the S3 backend only", r.origin(path, backend.Expr.StartRange().Start), name)
	}
	r.c.Blocks = append(r.c.Blocks, at)
	config, ok := b.Body.Attributes["config"]
	if !ok {
		return nil
	}
	obj, ok := config.Expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return fmt.Errorf("%s: remote_state config is not written out as { bucket = ..., key = ... }; rolehop policy reads only that form", r.origin(path, config.Expr.StartRange().Start))
	}
	for _, item := range obj.Items {
		k, diags := item.KeyExpr.Value(nil)
		if diags.HasErrors() || k.Type() != cty.String || k.IsNull() {
			continue
		}
		if err := r.set(k.AsString(), item.ValueExpr, src, r.origin(path, item.ValueExpr.StartRange().Start), ctx); err != nil {
			return err
		}
	}
	return nil
}

// locals evaluates the locals of a file that need nothing but literals and other such locals;
// a setting that uses any other local becomes a pattern. No function is available: reading
// a configuration never runs anything (run_cmd) nor reads the environment.
func locals(body *hclsyntax.Body) *hcl.EvalContext {
	pending := map[string]hcl.Expression{}
	for _, b := range body.Blocks {
		if b.Type == "locals" {
			for name, a := range b.Body.Attributes {
				pending[name] = a.Expr
			}
		}
	}
	vals := map[string]cty.Value{}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"local": cty.EmptyObjectVal}}
	for progress := true; progress && len(pending) > 0; {
		progress = false
		for name, expr := range pending {
			v, diags := expr.Value(ctx)
			if diags.HasErrors() || !v.IsWhollyKnown() {
				continue
			}
			vals[name] = v
			delete(pending, name)
			ctx.Variables["local"] = cty.ObjectVal(vals)
			progress = true
		}
	}
	return ctx
}

// includePath evaluates the path of an include block, with the two functions such paths use:
// find_in_parent_folders([NAME]) and get_terragrunt_dir().
func (r *reader) includePath(path string, b *hclsyntax.Block) (string, error) {
	at := r.origin(path, b.DefRange().Start)
	attr, ok := b.Body.Attributes["path"]
	if !ok {
		return "", fmt.Errorf("%s: include has no path", at)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return "", err
	}
	ctx := &hcl.EvalContext{Functions: map[string]function.Function{
		"find_in_parent_folders": findInParentFolders(dir),
		"get_terragrunt_dir": function.New(&function.Spec{
			Type: function.StaticReturnType(cty.String),
			Impl: func([]cty.Value, cty.Type) (cty.Value, error) { return cty.StringVal(dir), nil },
		}),
	}}
	v, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return "", fmt.Errorf("%s: include path: %s; rolehop policy understands find_in_parent_folders(), get_terragrunt_dir() and literal paths", r.origin(path, attr.Expr.StartRange().Start), diags[0].Detail)
	}
	if v.IsNull() || v.Type() != cty.String {
		return "", fmt.Errorf("%s: include path is not a string", at)
	}
	p := v.AsString()
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return p, nil
}

// findInParentFolders is Terragrunt's find_in_parent_folders: the first file called NAME
// (terragrunt.hcl by default) in the parents of dir, nearest first.
func findInParentFolders(dir string) function.Function {
	return function.New(&function.Spec{
		VarParam: &function.Parameter{Name: "name", Type: cty.String},
		Type:     function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := TerragruntFile
			if len(args) > 0 {
				name = args[0].AsString()
			}
			for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
				p := filepath.Join(d, name)
				if _, err := os.Stat(p); err == nil {
					return cty.StringVal(p), nil
				}
				if d == filepath.Dir(d) {
					break
				}
			}
			if len(args) > 1 {
				return args[1], nil
			}
			return cty.NilVal, errors.New("no " + name + " in any parent folder")
		},
	})
}

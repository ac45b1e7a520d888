package configfile

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/big"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/kballard/go-shellquote"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// maxReadSize bounds what file() reads: tokens and policies are a few
// kilobytes, and a mistaken path such as /dev/zero must not exhaust memory.
const maxReadSize = 1 << 20

// value is an evaluated attribute of some kind.
type value struct {
	set  bool // false when the expression is null
	pos  Pos  // where the attribute is written
	str  string
	b    bool
	list []string
	tags []Tag
}

func (v value) field() Field {
	return Field{Value: v.str, Pos: v.pos, Set: v.set}
}

// value evaluates attribute a of file f and checks it against spec. Errors
// describe the type of a wrong value but never the value itself, which may
// be a secret.
func (c *Config) value(f *file, a *hclsyntax.Attribute, spec attrSpec) (value, error) {
	var read []string
	funcs := c.functions(f, &read)
	v, diags := a.Expr.Value(&hcl.EvalContext{Functions: funcs})
	at := a.Expr.Range().Start
	if d := firstError(diags); d != nil {
		if d.Subject != nil {
			at = d.Subject.Start
		}
		return value{}, f.errorAt(at, redact(diagMessage(d, funcs), read))
	}
	if v.IsNull() {
		return value{}, nil
	}
	fail := func(format string, args ...any) (value, error) {
		return value{}, f.errorAt(at, spec.name+" "+fmt.Sprintf(format, args...))
	}
	if !v.IsWhollyKnown() {
		return fail("has no known value")
	}
	out := value{set: true, pos: f.pos(a.NameRange.Start)}
	ty := v.Type()
	switch spec.kind {
	case kindString, kindProgram:
		s, ok := asString(v)
		if !ok {
			return fail("must be a string, not %s", describe(v))
		}
		if spec.kind == kindProgram {
			if err := tildeProgram(f, at, spec.name, s); err != nil {
				return value{}, err
			}
		}
		out.str = s
	case kindDuration:
		switch ty {
		case cty.String:
			out.str = v.AsString()
		case cty.Number:
			bf := v.AsBigFloat()
			if !bf.IsInt() {
				return fail("must be a whole number of seconds")
			}
			n, acc := bf.Int64()
			if acc != big.Exact {
				return fail("is too large")
			}
			out.str = strconv.FormatInt(n, 10)
		default:
			return fail(`must be a number of seconds or a string like "1h", not %s`, describe(v))
		}
	case kindBool:
		if ty != cty.Bool {
			return fail("must be true or false, not %s", describe(v))
		}
		out.b = v.True()
	case kindStringList:
		if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
			return fail("must be a list of strings, not %s", describe(v))
		}
		out.list = make([]string, 0, v.LengthInt())
		for i, e := range v.AsValueSlice() {
			s, ok := asString(e)
			if !ok {
				return fail("must be a list of strings, but element %d is %s", i, describe(e))
			}
			out.list = append(out.list, s)
		}
	case kindStringMap:
		if !ty.IsMapType() && !ty.IsObjectType() {
			return fail("must be a map of strings, not %s", describe(v))
		}
		out.tags = make([]Tag, 0, v.LengthInt())
		for k, e := range v.AsValueMap() {
			s, ok := asString(e)
			if !ok {
				// The key may come from an expression, so it is not shown.
				return fail("must be a map of strings, but a value is %s", describe(e))
			}
			out.tags = append(out.tags, Tag{Key: k, Value: s})
		}
		slices.SortFunc(out.tags, func(a, b Tag) int { return cmp.Compare(a.Key, b.Key) })
	}
	return out, nil
}

// asString accepts strings and, as HCL itself does, numbers.
func asString(v cty.Value) (string, bool) {
	if v.IsNull() {
		return "", false
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), true
	case cty.Number:
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			return "", false
		}
		return s.AsString(), true
	}
	return "", false
}

// describe names the type of v for an error message.
func describe(v cty.Value) string {
	ty := v.Type()
	switch {
	case v.IsNull():
		return "null"
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "a bool"
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		return "a list"
	case ty.IsMapType() || ty.IsObjectType():
		return "a map"
	}
	return ty.FriendlyName()
}

// minRedacted is the length from which strings read by get_env and file are
// hidden in errors; shorter ones are no secret, and hiding them would garble
// messages.
const minRedacted = 4

// redact hides in msg every string in read, because cty functions quote
// their arguments in errors and those may be secrets. It also hides the forms
// most likely to be quoted: trimmed, and escaped as by %q.
func redact(msg string, read []string) string {
	var hide []string
	for _, s := range read {
		for _, v := range []string{s, strings.TrimSpace(s)} {
			q := strconv.Quote(v)
			hide = append(hide, v, q[1:len(q)-1])
		}
	}
	slices.SortFunc(hide, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, s := range hide {
		if len(s) >= minRedacted {
			msg = strings.ReplaceAll(msg, s, "<hidden>")
		}
	}
	return msg
}

// functions returns the functions available in f: get_env, file (relative to
// f's directory) and the usual cty standard library. get_env and file append
// what they return to read.
func (c *Config) functions(f *file, read *[]string) map[string]function.Function {
	return map[string]function.Function{
		"get_env": getEnvFunc(c.env, read),
		"file":    fileFunc(filepath.Dir(f.path), c.dir, read),
		"length":  lengthFunc(),

		"abs":        stdlib.AbsoluteFunc,
		"ceil":       stdlib.CeilFunc,
		"chomp":      stdlib.ChompFunc,
		"coalesce":   stdlib.CoalesceFunc,
		"concat":     stdlib.ConcatFunc,
		"contains":   stdlib.ContainsFunc,
		"csvdecode":  stdlib.CSVDecodeFunc,
		"distinct":   stdlib.DistinctFunc,
		"element":    stdlib.ElementFunc,
		"flatten":    stdlib.FlattenFunc,
		"floor":      stdlib.FloorFunc,
		"format":     stdlib.FormatFunc,
		"formatdate": stdlib.FormatDateFunc,
		"formatlist": stdlib.FormatListFunc,
		"join":       stdlib.JoinFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc,
		"keys":       stdlib.KeysFunc,
		"lookup":     stdlib.LookupFunc,
		"lower":      stdlib.LowerFunc,
		"max":        stdlib.MaxFunc,
		"merge":      stdlib.MergeFunc,
		"min":        stdlib.MinFunc,
		"range":      stdlib.RangeFunc,
		"regex":      stdlib.RegexFunc,
		"regexall":   stdlib.RegexAllFunc,
		"replace":    stdlib.ReplaceFunc,
		"reverse":    stdlib.ReverseListFunc,
		"slice":      stdlib.SliceFunc,
		"sort":       stdlib.SortFunc,
		"split":      stdlib.SplitFunc,
		"strlen":     stdlib.StrlenFunc,
		"substr":     stdlib.SubstrFunc,
		"timeadd":    stdlib.TimeAddFunc,
		"title":      stdlib.TitleFunc,
		"tobool":     stdlib.MakeToFunc(cty.Bool),
		"tolist":     stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":      stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":   stdlib.MakeToFunc(cty.Number),
		"toset":      stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":   stdlib.MakeToFunc(cty.String),
		"trim":       stdlib.TrimFunc,
		"trimprefix": stdlib.TrimPrefixFunc,
		"trimspace":  stdlib.TrimSpaceFunc,
		"trimsuffix": stdlib.TrimSuffixFunc,
		"upper":      stdlib.UpperFunc,
		"values":     stdlib.ValuesFunc,
		"zipmap":     stdlib.ZipmapFunc,
	}
}

// getEnvFunc is get_env(name) or get_env(name, default).
func getEnvFunc(env func(string) (string, bool), read *[]string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or the default when it is not set.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "default", Type: cty.String, AllowNull: true},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.NilVal, fmt.Errorf("takes a name and an optional default, not %d arguments", len(args))
			}
			name := args[0].AsString()
			if v, ok := env(name); ok {
				*read = append(*read, v)
				return cty.StringVal(v), nil
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return cty.NilVal, fmt.Errorf(`environment variable %q is not set; give a default as a second argument: get_env(%q, "default")`, name, name)
		},
	})
}

// fileFunc is file(path), which reads a UTF-8 file; relative paths are
// relative to dir, the directory of the rolehop.hcl that calls it. Errors show
// paths relative to the working directory wd.
func fileFunc(dir, wd string, read *[]string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the contents of a file.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			path := args[0].AsString()
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			b, err := readLimited(path, maxReadSize, fmt.Sprintf("larger than %d bytes", maxReadSize))
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return cty.NilVal, fmt.Errorf("read %s: %w", display.Path(path, wd), err)
			}
			if !utf8.Valid(b) {
				return cty.NilVal, fmt.Errorf("%s is not valid UTF-8", display.Path(path, wd))
			}
			*read = append(*read, string(b))
			return cty.StringVal(string(b)), nil
		},
	})
}

// lengthFunc is Terraform's length: the length of a string, list or map.
func lengthFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the number of characters of a string or elements of a collection.",
		Params:      []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType}},
		Type:        function.StaticReturnType(cty.Number),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if args[0].Type() == cty.String {
				return stdlib.Strlen(args[0])
			}
			return stdlib.Length(args[0])
		},
	})
}

func firstError(diags hcl.Diagnostics) *hcl.Diagnostic {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d
		}
	}
	return nil
}

// tildeProgram refuses a command line whose program starts with ~: no shell runs it, so the ~
// would be taken as a directory of that name. The error names only the program, never the
// arguments, which may hold a secret.
func tildeProgram(f *file, at hcl.Pos, name, line string) error {
	argv, err := shellquote.Split(line)
	if err != nil || len(argv) == 0 || !strings.HasPrefix(argv[0], "~") {
		// A line that does not split is reported when the program is run.
		return nil
	}
	fix := "write the path out"
	if rest, ok := strings.CutPrefix(argv[0], "~/"); ok {
		fix += fmt.Sprintf(`, or "${get_env("HOME")}/%s"`, rest)
	}
	return f.errorAt(at, fmt.Sprintf("%s: the program %s starts with ~, which is not expanded: no shell runs the command; %s", name, argv[0], fix))
}

// diagMessage describes an hcl diagnostic; errorAt makes it one line. funcs
// are the functions that were available, for suggestions.
func diagMessage(d *hcl.Diagnostic, funcs map[string]function.Function) string {
	if u, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallUnknownDiagExtra](d); ok {
		name := u.CalledFunctionNamespace() + u.CalledFunctionName()
		return fmt.Sprintf("unknown function %q", name) + DidYouMean(name, slices.Sorted(maps.Keys(funcs)))
	}
	if call, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](d); ok {
		err := call.FunctionCallError()
		var argErr function.ArgError
		var panicErr function.PanicError
		switch {
		case errors.As(err, &panicErr):
			return call.CalledFunctionName() + ": internal error"
		case err != nil && !errors.As(err, &argErr):
			return call.CalledFunctionName() + ": " + err.Error()
		}
	}
	msg := lowerFirst(d.Summary)
	if detail := strings.TrimSuffix(strings.TrimSpace(d.Detail), "."); detail != "" {
		msg += "; " + lowerFirst(detail)
	}
	return msg
}

// lowerFirst lower-cases a leading capital unless it starts an acronym such
// as "HCL".
func lowerFirst(s string) string {
	first, n := utf8.DecodeRuneInString(s)
	second, _ := utf8.DecodeRuneInString(s[n:])
	if unicode.IsUpper(first) && !unicode.IsUpper(second) {
		return string(unicode.ToLower(first)) + s[n:]
	}
	return s
}

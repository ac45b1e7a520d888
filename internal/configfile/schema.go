package configfile

import (
	"fmt"
	"slices"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/rolehop/rolehop/internal/settings/spec"
)

// iam_role and assume_role blocks are two spellings of the role chain, so they
// are handled together rather than through the attribute tables.
const (
	attrIAMRole     = spec.KeyIAMRole
	blockAssumeRole = "assume_role"
	attrRoot        = "root"
	attrRoleARN     = "role_arn"
	roleARNExample  = `role_arn = "arn:aws:iam::<account>:role/<name>"`
)

// suggestionLimit is the edit distance below which a name is offered as a
// "did you mean"; hcl uses the same threshold.
const suggestionLimit = 3

// kind is the shape a value must have after evaluation.
type kind int

const (
	kindString     kind = iota // a string; numbers are converted
	kindDuration               // whole seconds as a number, or a string such as "1h"
	kindBool                   // true or false
	kindStringList             // a list of strings
	kindStringMap              // a map of strings
	kindProgram                // a string that is a command line rolehop runs
)

// attrSpec is one row of an attribute table.
type attrSpec struct {
	name string
	kind kind
}

// topLevelAttrs is the table of top-level attributes other than iam_role: root,
// and each setting of the settings table that a file may hold.
func topLevelAttrs() []attrSpec {
	attrs := []attrSpec{{attrRoot, kindBool}}
	for _, s := range spec.Settings() {
		if s.InFile && s.Key != attrIAMRole {
			k := fileKind(s.Kind)
			if s.RunsProgram {
				k = kindProgram
			}
			attrs = append(attrs, attrSpec{s.Key, k})
		}
	}
	return attrs
}

// fileKind is the shape a setting of kind k takes in a file.
func fileKind(k spec.Kind) kind {
	switch k {
	case spec.Duration:
		return kindDuration
	case spec.Bool:
		return kindBool
	}
	return kindString
}

// schema is what a file may hold at the top level, made once per Config.
type schema struct {
	// attrs are the top-level attributes but iam_role, by name.
	attrs map[string]attrSpec
	// names are every top-level attribute name, iam_role included.
	names []string
}

func newSchema() schema {
	sc := schema{attrs: map[string]attrSpec{}, names: []string{attrIAMRole}}
	for _, a := range topLevelAttrs() {
		sc.attrs[a.name] = a
		sc.names = append(sc.names, a.name)
	}
	return sc
}

// roleAttrSpec is one row of the assume_role block table; set stores an
// evaluated, non-null value in the Role.
type roleAttrSpec struct {
	attrSpec
	required bool
	set      func(r *Role, v value)
}

// roleAttrs is the table of assume_role block attributes, named as in the
// Terraform AWS provider's assume_role block.
func roleAttrs() []roleAttrSpec {
	return []roleAttrSpec{
		{attrSpec{attrRoleARN, kindString}, true, func(r *Role, v value) { r.RoleARN = v.field() }},
		{attrSpec{"external_id", kindString}, false, func(r *Role, v value) { r.ExternalID = v.field() }},
		{attrSpec{"session_name", kindString}, false, func(r *Role, v value) { r.SessionName = v.field() }},
		{attrSpec{"duration", kindDuration}, false, func(r *Role, v value) { r.Duration = v.field() }},
		{attrSpec{"source_identity", kindString}, false, func(r *Role, v value) { r.SourceIdentity = v.field() }},
		{attrSpec{"policy", kindString}, false, func(r *Role, v value) { r.Policy = v.field() }},
		{attrSpec{"mfa_serial", kindString}, false, func(r *Role, v value) { r.MFASerial = v.field() }},
		{attrSpec{"tags", kindStringMap}, false, func(r *Role, v value) { r.Tags, r.TagsPos = v.tags, v.pos }},
		{attrSpec{"transitive_tag_keys", kindStringList}, false, func(r *Role, v value) {
			r.TransitiveTagKeys, r.TransitiveTagKeysPos = v.list, v.pos
		}},
		{attrSpec{"policy_arns", kindStringList}, false, func(r *Role, v value) { r.PolicyARNs, r.PolicyARNsPos = v.list, v.pos }},
	}
}

func roleAttrNames() []string {
	var names []string
	for _, s := range roleAttrs() {
		names = append(names, s.name)
	}
	return names
}

// topLevelRenamed are names people bring from the AWS config file, aws-auth and the Terraform
// provider's assume_role block that rolehop.hcl spells otherwise at the top level, and what to
// write instead. They are too far from the right name for a "did you mean".
var topLevelRenamed = map[string]string{
	attrRoleARN:         `at the top level the role is iam_role = "ARN", or role_arn goes in an assume_role { role_arn = "ARN" } block`,
	"duration":          "at the top level it is iam_assume_role_duration (duration in an assume_role block)",
	"duration_seconds":  "at the top level it is iam_assume_role_duration (duration in an assume_role block)",
	"session_name":      "at the top level it is iam_assume_role_session_name (session_name in an assume_role block)",
	"role_session_name": "at the top level it is iam_assume_role_session_name (session_name in an assume_role block)",
	"external_id":       "at the top level it is iam_assume_role_external_id (external_id in an assume_role block)",
}

// blockRenamed are the AWS config file's names for what an assume_role block, like the
// Terraform provider's, names otherwise.
var blockRenamed = map[string]string{
	"duration_seconds":  `an assume_role block names it duration, as the Terraform provider does: duration = "1h" or 3600`,
	"role_session_name": "an assume_role block names it session_name, as the Terraform provider does",
	"serial_number":     "an assume_role block names the MFA device mfa_serial",
}

// problem is a schema error found while checking a file.
type problem struct {
	pos hcl.Pos
	msg string
}

// check validates the structure of a parsed file against sc without
// evaluating anything, and returns the first problem in source order.
func check(body *hclsyntax.Body, sc schema) *problem {
	var probs []problem
	add := func(p hcl.Pos, format string, args ...any) {
		probs = append(probs, problem{p, fmt.Sprintf(format, args...)})
	}
	topNames := sc.names
	for name, a := range body.Attributes {
		switch {
		case slices.Contains(topNames, name):
		case name == blockAssumeRole:
			add(a.NameRange.Start, "unsupported argument %q; assume_role is a block: write assume_role { %s }", name, roleARNExample)
		case topLevelRenamed[name] != "":
			add(a.NameRange.Start, "unsupported argument %q; %s", name, topLevelRenamed[name])
		default:
			add(a.NameRange.Start, "unsupported argument %q%s", name, DidYouMean(name, topNames))
		}
	}
	var first *hclsyntax.Block
	for _, b := range body.Blocks {
		switch {
		case b.Type == blockAssumeRole:
			if first == nil {
				first = b
			}
			probs = append(probs, checkRoleBlock(b)...)
		case slices.Contains(topNames, b.Type):
			add(b.TypeRange.Start, "unsupported block type %q; %s is an argument: write %s = ...", b.Type, b.Type, b.Type)
		default:
			add(b.TypeRange.Start, "unsupported block type %q%s", b.Type, DidYouMean(b.Type, []string{blockAssumeRole}))
		}
	}
	if a, ok := body.Attributes[attrIAMRole]; ok && first != nil {
		add(a.NameRange.Start, "iam_role and assume_role blocks (line %d) both set the role chain; use either iam_role or assume_role blocks, not both", first.TypeRange.Start.Line)
	}
	if len(probs) == 0 {
		return nil
	}
	p := slices.MinFunc(probs, func(a, b problem) int { return a.pos.Byte - b.pos.Byte })
	return &p
}

func checkRoleBlock(b *hclsyntax.Block) []problem {
	var probs []problem
	add := func(p hcl.Pos, format string, args ...any) {
		probs = append(probs, problem{p, fmt.Sprintf(format, args...)})
	}
	if len(b.Labels) > 0 {
		add(b.LabelRanges[0].Start, "assume_role blocks take no labels; write assume_role { %s }", roleARNExample)
	}
	names := roleAttrNames()
	for name, a := range b.Body.Attributes {
		switch {
		case slices.Contains(names, name):
		case blockRenamed[name] != "":
			add(a.NameRange.Start, "unsupported argument %q in assume_role block; %s", name, blockRenamed[name])
		default:
			add(a.NameRange.Start, "unsupported argument %q in assume_role block%s", name, DidYouMean(name, names))
		}
	}
	for _, nested := range b.Body.Blocks {
		if slices.Contains(names, nested.Type) {
			add(nested.TypeRange.Start, "unsupported block type %q in assume_role block; %s is an argument: write %s = ...", nested.Type, nested.Type, nested.Type)
		} else {
			add(nested.TypeRange.Start, "unsupported block type %q in assume_role block; assume_role blocks cannot be nested, write them one after another", nested.Type)
		}
	}
	for _, s := range roleAttrs() {
		if _, ok := b.Body.Attributes[s.name]; s.required && !ok {
			hint := s.name + " = ..."
			if s.name == attrRoleARN {
				hint = roleARNExample
			}
			// At the closing brace, so that a misspelt role_arn inside the
			// block is reported first.
			add(b.CloseBraceRange.Start, "assume_role block without %s; add %s", s.name, hint)
		}
	}
	return probs
}

// DidYouMean returns a hint to append to an error about an unknown name,
// `; did you mean "NAME"?` with the candidate closest to name, or "" when none
// is close.
func DidYouMean(name string, candidates []string) string {
	best := Closest(name, candidates)
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// Closest returns the candidate closest to name by edit distance, or "" when
// none is close enough to be a typo of it. Ties go to the alphabetically first
// candidate so that messages are stable.
func Closest(name string, candidates []string) string {
	best, bestDist := "", suggestionLimit
	for _, c := range candidates {
		d := levenshtein.Distance(name, c, nil)
		if d < bestDist || (d == bestDist && best != "" && c < best) {
			best, bestDist = c, d
		}
	}
	return best
}

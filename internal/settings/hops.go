package settings

import (
	"fmt"
	"strings"

	"github.com/rolehop/rolehop/internal/configfile"
	"github.com/rolehop/rolehop/internal/mfa"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/settings/spec"
	"github.com/spf13/pflag"
)

// hops builds the chain: roles from the flag (repeated), else the environment (several ARNs
// separated by white space), else the nearest rolehop.hcl (iam_role or assume_role blocks).
// A value an assume_role block sets for its hop wins over the global one for that hop.
func (r *resolver) hops(g globals) ([]plan.Hop, error) {
	s := r.specs[spec.KeyIAMRole]
	var arns []string
	var src plan.Origin
	if f := r.in.Flags.Lookup(s.Flag); f != nil && f.Changed {
		// GetSlice, not GetStringArray: the latter reads --iam-role '' back as no value at all.
		arns = f.Value.(pflag.SliceValue).GetSlice()
		src = plan.Origin{Layer: plan.FromFlag, Name: "--" + s.Flag}
	} else {
		for _, name := range s.Env {
			if v, ok := r.in.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
				arns, src = strings.Fields(v), plan.Origin{Layer: plan.FromEnv, Name: name}
				if err := commaList(v, src); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	if arns != nil {
		hops := make([]plan.Hop, len(arns))
		for i, a := range arns {
			if strings.TrimSpace(a) == "" {
				return nil, fmt.Errorf("%s: value is empty; give a role ARN or leave the flag out", src)
			}
			if err := r.hop(&hops[i], value{raw: a, src: src, set: true}, g); err != nil {
				return nil, err
			}
		}
		r.show(spec.KeyIAMRole, strings.Join(arns, " -> "), src)
		return hops, nil
	}
	return r.fileHops(g)
}

func (r *resolver) fileHops(g globals) ([]plan.Hop, error) {
	if r.file == nil {
		r.show(spec.KeyIAMRole, "(none: base credentials are handed over as they are)", plan.Origin{})
		return nil, nil
	}
	roles, ok, err := r.file.Roles()
	if err != nil {
		return nil, err
	}
	if !ok {
		r.show(spec.KeyIAMRole, "(none: base credentials are handed over as they are)", plan.Origin{})
		return nil, nil
	}
	hops := make([]plan.Hop, len(roles))
	names := make([]string, len(roles))
	for i, role := range roles {
		if err := r.fileHop(&hops[i], role, g); err != nil {
			return nil, err
		}
		names[i] = hops[i].Role.String()
	}
	r.show(spec.KeyIAMRole, strings.Join(names, " -> "), r.fileSource(roles[0].Pos))
	return hops, nil
}

// fileSource names a position in a file relative to the working directory.
func (r *resolver) fileSource(pos configfile.Pos) plan.Origin {
	return plan.Origin{Layer: plan.FromFile, Name: pos.String(), Dir: pos.Dir()}
}

func (r *resolver) fileValue(f configfile.Field) value {
	return value{raw: f.Value, src: r.fileSource(f.Pos), set: f.Set}
}

// hop fills h from a role ARN and the global settings.
func (r *resolver) hop(h *plan.Hop, arn value, g globals) error {
	if err := commaList(arn.raw, arn.src); err != nil {
		return err
	}
	role, err := plan.ParseRoleARN(strings.TrimSpace(arn.raw))
	if err != nil {
		return fmt.Errorf("%s: %w", arn.src, err)
	}
	h.Role = role
	h.Origin = map[string]plan.Origin{plan.FieldRoleARN: arn.src}
	if err := setSessionName(h, g.sessionName); err != nil {
		return err
	}
	if err := setDuration(h, g.duration); err != nil {
		return err
	}
	return setExternalID(h, g.externalID)
}

// commaList refuses role ARNs joined by commas, as other tools write lists: rolehop would take
// them for one role whose name has commas in it (a comma is allowed in a role name, so only a
// comma followed by "arn:" is taken for a list). The error spells the chain the way src takes it.
func commaList(v string, src plan.Origin) error {
	var arns []string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if len(arns) > 0 && !strings.HasPrefix(part, "arn:") {
			arns[len(arns)-1] += "," + part
			continue
		}
		arns = append(arns, part)
	}
	if len(arns) < 2 {
		return nil
	}
	var how string
	switch src.Layer {
	case plan.FromFlag:
		how = "give each role its own flag: " + src.Name + " " + strings.Join(arns, " "+src.Name+" ")
	case plan.FromEnv:
		how = fmt.Sprintf("separate them with spaces: %s=%q", src.Name, strings.Join(arns, " "))
	default:
		how = "write a chain as assume_role blocks, one role_arn in each"
	}
	return fmt.Errorf("%s: %q joins role ARNs with a comma; %s", src, strings.TrimSpace(v), how)
}

// fileHop fills h from an assume_role block, falling back to the globals.
func (r *resolver) fileHop(h *plan.Hop, b configfile.Role, g globals) error {
	if err := r.hop(h, r.fileValue(b.RoleARN), g); err != nil {
		return err
	}
	for _, f := range []struct {
		field configfile.Field
		set   func(*plan.Hop, value) error
	}{
		{b.SessionName, setSessionName},
		{b.Duration, setDuration},
		{b.ExternalID, setExternalID},
		{b.SourceIdentity, setSourceIdentity},
		{b.Policy, setPolicy},
		{b.MFASerial, setMFASerial},
	} {
		if f.field.Set {
			if err := f.set(h, r.fileValue(f.field)); err != nil {
				return err
			}
		}
	}
	return r.setLists(h, b)
}

func (r *resolver) setLists(h *plan.Hop, b configfile.Role) error {
	if len(b.Tags) > 0 {
		for _, t := range b.Tags {
			h.Tags = append(h.Tags, plan.Tag{Key: t.Key, Value: t.Value})
		}
		if err := plan.CheckTags(h.Tags); err != nil {
			return fmt.Errorf("%s: %w", r.fileSource(b.TagsPos), err)
		}
		h.Origin[plan.FieldTags] = r.fileSource(b.TagsPos)
	}
	if len(b.TransitiveTagKeys) > 0 {
		h.TransitiveTagKeys = b.TransitiveTagKeys
		h.Origin[plan.FieldTransitiveTags] = r.fileSource(b.TransitiveTagKeysPos)
	}
	if len(b.PolicyARNs) > 0 {
		if err := plan.CheckPolicyARNs(b.PolicyARNs); err != nil {
			return fmt.Errorf("%s: %w", r.fileSource(b.PolicyARNsPos), err)
		}
		h.PolicyARNs = b.PolicyARNs
		h.Origin[plan.FieldPolicyARNs] = r.fileSource(b.PolicyARNsPos)
	}
	return nil
}

// assign parses v into *dst and records where the value came from; errors name the source.
func assign[T any](h *plan.Hop, field string, v value, parse func(string) (T, error), dst *T) error {
	x, err := parse(v.raw)
	if err != nil {
		return fmt.Errorf("%s: %w", v.src, err)
	}
	*dst = x
	h.Origin[field] = v.src
	return nil
}

// checked turns a check into a parse that keeps the value as it is.
func checked(check func(string) error) func(string) (string, error) {
	return func(s string) (string, error) { return s, check(s) }
}

func setSessionName(h *plan.Hop, v value) error {
	return assign(h, plan.FieldSessionName, v, checked(plan.CheckSessionName), &h.SessionName)
}

func setDuration(h *plan.Hop, v value) error {
	return assign(h, plan.FieldDuration, v, plan.ParseDuration, &h.Duration)
}

func setExternalID(h *plan.Hop, v value) error {
	if !v.set {
		return nil
	}
	return assign(h, plan.FieldExternalID, v, checked(plan.CheckExternalID), &h.ExternalID)
}

func setSourceIdentity(h *plan.Hop, v value) error {
	return assign(h, plan.FieldSourceIdentity, v, checked(plan.CheckSourceIdentity), &h.SourceIdentity)
}

func setPolicy(h *plan.Hop, v value) error {
	return assign(h, plan.FieldPolicy, v, plan.CompactPolicy, &h.Policy)
}

func setMFASerial(h *plan.Hop, v value) error {
	return assign(h, plan.FieldMFASerial, v, checked(mfa.CheckSerial), &h.MFASerial)
}

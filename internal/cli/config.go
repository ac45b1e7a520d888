package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rolehop/rolehop/internal/authprovider"
	"github.com/rolehop/rolehop/internal/awsprofile"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/rolehop/rolehop/internal/settings/spec"
	"github.com/spf13/cobra"
)

func (a *app) configCmd() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "config [options]",
		Short: "Show every setting, where it came from, and the chain of roles",
		Long: `Show every setting, one per row, with its value and where it came from (a flag, an
environment variable, a rolehop.hcl line, or the default) and every flag and variable that sets
it; then the rolehop.hcl files read, and the chain of STS calls the settings make. Secrets are
redacted. No credentials are fetched.`,
		Example: `  rolehop config
  rolehop config --iam-role arn:aws:iam::111111111111:role/deploy --duration 2h
  rolehop config --output json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			res, err := a.resolveRows(cmd.Flags(), true)
			if err != nil {
				return err
			}
			notes := a.profileNotes(&res.Plan)
			ssoBase := a.ssoDescription(cmd.Context(), res)
			region, regionSource := a.commandRegion(&res.Plan)
			if output == "json" {
				return writeConfigJSON(a.out(cmd), res, notes, ssoBase, region, regionSource)
			}
			return writeConfigText(a.out(cmd), res, notes, ssoBase, region, regionSource)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "text", "output `FORMAT`: text or json")
	return credentialCommand(c)
}

// setRow is one setting as `rolehop config` shows it.
type setRow struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source string `json:"source"`
	Flag   string `json:"flag"`
	// Env is the first of Envs.
	Env string `json:"env,omitempty"`
	// Aliases are the other names of the flag that help shows; Envs every variable that sets
	// the setting, in order of preference.
	Aliases []string `json:"aliases,omitempty"`
	Envs    []string `json:"envs"`
	// execOnly is set for a setting whose flag only exec has.
	execOnly bool
}

// setWith lists every name that sets the row's setting on the command line and in the
// environment.
func (r setRow) setWith() string {
	flag := r.Flag
	if r.execOnly {
		flag += " (exec)"
	}
	names := append([]string{flag}, r.Aliases...)
	return strings.Join(append(names, r.Envs...), ", ")
}

// rows are the settings `rolehop config` shows, one each, in the table's order.
func rows(res *settings.Result) []setRow {
	byKey := map[string]settings.Entry{}
	for _, e := range res.Entries {
		byKey[e.Key] = e
	}
	var out []setRow
	for _, s := range spec.Settings() {
		e, ok := byKey[s.Key]
		if !ok {
			continue
		}
		r := setRow{Name: s.Key, Value: e.Value, Source: e.Source.String(), Flag: "--" + s.Flag, Envs: s.Env, execOnly: s.ExecOnly}
		for _, a := range s.Aliases {
			r.Aliases = append(r.Aliases, "--"+a)
		}
		if len(s.Env) > 0 {
			r.Env = s.Env[0]
		}
		out = append(out, r)
	}
	return out
}

// profileNotes are the keys of the profile rolehop read that do nothing. Resolve has already
// refused the keys that would change the identity.
func (a *app) profileNotes(p *plan.Plan) []string {
	if p.Profile == "" || p.StoredCredentials != "" {
		return nil
	}
	notes, _ := awsprofile.Inspect(p.Profile, a.profileOptions())
	return notes
}

// ssoBase, when not empty, describes an IAM Identity Center base (see ssoDescription); region
// is the one STS is called in and the command gets (see commandRegion).
func writeConfigText(w io.Writer, res *settings.Result, notes []string, ssoBase, region, regionSource string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tSOURCE\tSET WITH")
	for _, r := range rows(res) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Value, r.Source, r.setWith())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := writeTrust(w, res.Trust); err != nil {
		return err
	}
	p := &res.Plan
	base := "AWS SDK default chain (environment, shared files, SSO, container, instance metadata)"
	switch {
	case ssoBase != "":
		base = ssoBase
	case p.StoredCredentials != "" && p.StoredOrigin.Layer == plan.FromProfile:
		base = fmt.Sprintf("keys stored in rolehop's secret store as %s (%s), profile %q (%s)", p.StoredCredentials, p.StoredOrigin, p.Profile, p.ProfileOrigin)
	case p.StoredCredentials != "":
		base = fmt.Sprintf("stored credentials %q (%s)", p.StoredCredentials, p.StoredOrigin)
	case p.ProfileBase != nil:
		base = profileBaseText(p)
	case len(p.Hops) > 0 && p.Hops[0].WebIdentityToken != nil:
		base = "none: the first role is assumed with a web identity token"
	case p.Profile != "":
		base = fmt.Sprintf("profile %q", p.Profile)
	}
	fmt.Fprintf(w, "Chain:\n  base credentials: %s\n", base)
	if ap := p.AuthProvider; ap != nil {
		fmt.Fprintf(w, "  auth provider: %s runs first (%s, stopped after %s); what it prints may replace the base\n"+
			"    credentials (awsCredentials), add a first role before the hops below (awsRole), and add\n"+
			"    variables for the command (envs)\n", authprovider.Program(ap.Command), ap.Origin, display.Duration(ap.Timeout))
	}
	if m := p.MFA; m != nil && !m.OnAssume {
		fmt.Fprintf(w, "  MFA session: GetSessionToken with %s for %s (%s; code %s)\n", m.Serial, display.Duration(m.SessionDuration), m.Origin, p.Codes)
	}
	for i := range p.Hops {
		writeHop(w, i, &p.Hops[i])
	}
	if len(p.Hops) == 0 {
		fmt.Fprintln(w, "  no role to assume: the base credentials are handed over as they are")
	}
	precedence := "flag, then environment variable, then the nearest rolehop.hcl, then default"
	if p.Profile != "" {
		precedence = "flag, then environment variable, then the nearest rolehop.hcl, then the profile, then default"
	}
	fmt.Fprintf(w, "  region for STS and the command: %s (%s)\n", region, regionSource)
	for _, n := range notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintf(w, "\nPrecedence: %s.\n", precedence)
	return nil
}

// profileBaseText says where the chain of a profile read by rolehop starts.
func profileBaseText(p *plan.Plan) string {
	b := p.ProfileBase
	what := map[plan.BaseKind]string{
		plan.BaseKeys:        "keys " + display.KeyID(b.Keys.AccessKeyID),
		plan.BaseEnvironment: "the environment's keys (credential_source = Environment)",
		plan.BaseIMDS:        "instance metadata (credential_source = Ec2InstanceMetadata)",
		plan.BaseECS:         "the container endpoint (credential_source = EcsContainer)",
		plan.BaseProcess:     "credential_process " + b.Process + ", run by the AWS SDK",
		plan.BaseSDK:         "SSO, resolved by the AWS SDK from profile " + b.Profile,
	}[b.Kind]
	return fmt.Sprintf("%s (%s), profile %q (%s)", what, b.Origin, p.Profile, p.ProfileOrigin)
}

// writeTrust says of each file read whether it may set the settings that run a program.
func writeTrust(w io.Writer, files []settings.FileTrust) error {
	if len(files) == 0 {
		return nil
	}
	fmt.Fprintln(w, "Files, nearest first (only a trusted one may set auth_provider_cmd or mfa_token_cmd):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range files {
		fmt.Fprintf(tw, "  %s\t%s (%s)\n", f.File, trustWord(f.Trusted), f.Why)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return nil
}

func trustWord(trusted bool) string {
	if trusted {
		return "trusted"
	}
	return "not trusted"
}

func writeHop(w io.Writer, i int, h *plan.Hop) {
	from := ""
	if o := h.Origin[plan.FieldRoleARN]; o.Layer == plan.FromProfile {
		// A profile's role says which profile it is.
		from = " (" + o.String() + ")"
	}
	fmt.Fprintf(w, "  hop %d: %s %s%s\n", i+1, h.API(), h.Role, from)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range hopFields(h) {
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", f.name, f.value, h.Origin[f.name])
	}
	tw.Flush()
}

type hopField struct{ name, value string }

// hopFields lists the values of a hop that are set, secrets redacted.
func hopFields(h *plan.Hop) []hopField {
	fields := []hopField{
		{plan.FieldSessionName, h.SessionName},
		{plan.FieldDuration, display.Duration(h.Duration)},
	}
	add := func(name, v string) {
		if v != "" {
			fields = append(fields, hopField{name, v})
		}
	}
	if h.WebIdentityToken != nil {
		add(plan.FieldWebIdentityToken, h.WebIdentityToken.String())
	}
	add(plan.FieldExternalID, h.ExternalID)
	add(plan.FieldMFASerial, h.MFASerial)
	add(plan.FieldSourceIdentity, h.SourceIdentity)
	var tags []string
	for _, t := range h.Tags {
		tags = append(tags, t.Key+"="+t.Value)
	}
	add(plan.FieldTags, strings.Join(tags, ", "))
	add(plan.FieldTransitiveTags, strings.Join(h.TransitiveTagKeys, ", "))
	if h.Policy != "" {
		add(plan.FieldPolicy, fmt.Sprintf("(%d characters)", len(h.Policy)))
	}
	add(plan.FieldPolicyARNs, strings.Join(h.PolicyARNs, ", "))
	return fields
}

func writeConfigJSON(w io.Writer, res *settings.Result, notes []string, ssoBase, region, regionSource string) error {
	type hopJSON struct {
		Hop    int               `json:"hop"`
		API    string            `json:"api"`
		Role   string            `json:"role_arn"`
		From   string            `json:"role_arn_source"`
		Values map[string]string `json:"values"`
		Source map[string]string `json:"sources"`
	}
	type trustJSON struct {
		File    string `json:"file"`
		Trusted bool   `json:"trusted"`
		Why     string `json:"why"`
	}
	type providerJSON struct {
		Program string `json:"program"`
		Source  string `json:"source"`
		Timeout string `json:"timeout"`
	}
	out := struct {
		Files        []string      `json:"files"`
		Trust        []trustJSON   `json:"trust"`
		Settings     []setRow      `json:"settings"`
		Profile      string        `json:"profile,omitempty"`
		Base         string        `json:"base,omitempty"`
		AuthProvider *providerJSON `json:"auth_provider,omitempty"`
		Region       string        `json:"sts_region"`
		RegionSource string        `json:"region_source"`
		Chain        []hopJSON     `json:"chain"`
		Notes        []string      `json:"notes,omitempty"`
	}{Notes: notes, Files: res.Files, Trust: []trustJSON{}, Settings: rows(res), Profile: res.Plan.Profile, Region: region, RegionSource: regionSource, Chain: []hopJSON{}}
	for _, f := range res.Trust {
		out.Trust = append(out.Trust, trustJSON{File: f.File, Trusted: f.Trusted, Why: f.Why})
	}
	if res.Plan.ProfileBase != nil {
		out.Base = profileBaseText(&res.Plan)
	}
	if ssoBase != "" {
		out.Base = ssoBase
	}
	if ap := res.Plan.AuthProvider; ap != nil {
		out.AuthProvider = &providerJSON{Program: authprovider.Program(ap.Command), Source: ap.Origin.String(), Timeout: display.Duration(ap.Timeout)}
	}
	if out.Files == nil {
		out.Files = []string{}
	}
	for i := range res.Plan.Hops {
		h := &res.Plan.Hops[i]
		hj := hopJSON{Hop: i + 1, API: h.API(), Role: h.Role.String(), From: h.Origin[plan.FieldRoleARN].String(), Values: map[string]string{}, Source: map[string]string{}}
		for _, f := range hopFields(h) {
			hj.Values[f.name] = f.value
			hj.Source[f.name] = h.Origin[f.name].String()
		}
		out.Chain = append(out.Chain, hj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// Package console signs in to the AWS web console with temporary credentials, as AWS's
// "custom identity broker" does: it exchanges a session's credentials for a sign-in token at
// the federation endpoint of the partition (getSigninToken), and builds the login URL that
// takes a browser to a console page as that session (Action=login).
//
// The login URL is a credential: whoever opens it within 15 minutes is signed in. The
// package never logs it, and no error it returns holds it, the token or the credentials.
package console

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/rolehop/rolehop/internal/plan"
)

// Hosts are the sign-in and console hosts of a partition.
type Hosts struct {
	SignIn  string // where the federation endpoint is, /federation
	Console string // where the console's pages are
}

// partitionHosts are the partitions with a public console.
var partitionHosts = map[string]Hosts{
	"aws":        {SignIn: "signin.aws.amazon.com", Console: "console.aws.amazon.com"},
	"aws-us-gov": {SignIn: "signin.amazonaws-us-gov.com", Console: "console.amazonaws-us-gov.com"},
	"aws-cn":     {SignIn: "signin.amazonaws.cn", Console: "console.amazonaws.cn"},
}

// HostsOf returns the hosts of partition, or an error for a partition rolehop knows no console
// of (the isolated ones, aws-iso and the like).
func HostsOf(partition string) (Hosts, error) {
	h, ok := partitionHosts[partition]
	if !ok {
		return Hosts{}, fmt.Errorf("partition %s has no console sign-in that rolehop knows; it signs in to aws, aws-us-gov and aws-cn", partition)
	}
	return h, nil
}

// Partition returns the partition whose console the plan's credentials sign in to: the last
// role's, else the region's (the configured one, or region when it is set), else aws.
func Partition(p *plan.Plan, region string) string {
	switch {
	case len(p.Hops) > 0:
		return p.Hops[len(p.Hops)-1].Role.Partition
	case region != "":
		return plan.RegionPartition(region)
	case p.Region != "":
		return plan.RegionPartition(p.Region)
	}
	return "aws"
}

// Federation returns the federation endpoint of the hosts, https://SIGNIN/federation.
func (h Hosts) Federation() *url.URL {
	return &url.URL{Scheme: "https", Host: h.SignIn, Path: "/federation"}
}

// ParseEndpoint checks a federation endpoint given in place of the partition's (the testing
// knob ROLEHOP_SIGNIN_ENDPOINT). Credentials are sent to it, so it must be https, or plain
// http to a loopback address given as an IP (127.0.0.1, [::1]), where a stand-in runs.
func ParseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%q is not a URL; write it with its scheme and host, like https://signin.aws.amazon.com/federation", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q has a user, a query or a fragment; give the endpoint alone, like https://signin.aws.amazon.com/federation", s)
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
			return u, nil
		}
		return nil, fmt.Errorf("%q is plain http to a host that is not a loopback address; the credentials would cross the network unencrypted: use https, or http://127.0.0.1:PORT for a local stand-in", s)
	}
	return nil, fmt.Errorf("%q is not an https URL", s)
}

// Destination is where the console opens: its home, a service's page, a path on the console
// host, or a full https URL on it (or on one of its subdomains, such as
// eu-west-1.console.aws.amazon.com).
type Destination struct {
	path string   // the path, query and fragment on the console host; "" for a full URL
	full *url.URL // the full URL given
}

// ParseDestination reads a destination as --destination gives it: "" for the console home, a
// path such as /s3/home or /ec2/home#Instances:, a service name such as s3 (its /s3/home
// page), or an https URL of the console. Whether a full URL is on the right partition's
// console is known only with the partition: see URL.
func ParseDestination(s string) (Destination, error) {
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return Destination{}, fmt.Errorf("%q holds white space or a control character; a destination is a console path (/s3/home), a service name (s3) or an https URL of the console", s)
	}
	switch {
	case s == "":
		return Destination{path: "/console/home"}, nil
	case isServiceName(s):
		return Destination{path: "/" + s + "/home"}, nil
	case strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//"):
		if _, err := url.Parse("https://console" + s); err != nil {
			return Destination{}, fmt.Errorf("%q is not a valid path: %v", s, errors.Unwrap(err))
		}
		return Destination{path: s}, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return Destination{}, fmt.Errorf("%q is not a console path (/s3/home), a service name (s3) or an https URL of the console (https://console.aws.amazon.com/s3/home)", s)
	}
	if u.Scheme != "https" {
		return Destination{}, fmt.Errorf("%q is not an https URL; the console is served over https only", s)
	}
	if u.User != nil || u.Port() != "" || consoleOf(u.Hostname()) == "" {
		return Destination{}, fmt.Errorf("%q is not on an AWS console host (console.aws.amazon.com, console.amazonaws-us-gov.com, console.amazonaws.cn or a subdomain)", s)
	}
	return Destination{full: u}, nil
}

// consoleOf returns the console host that host is or is a subdomain of, or "".
func consoleOf(host string) string {
	host = strings.ToLower(host)
	for _, h := range partitionHosts {
		if host == h.Console || strings.HasSuffix(host, "."+h.Console) {
			return h.Console
		}
	}
	return ""
}

// URL returns the destination on the console of hosts, with region=REGION added to its query
// unless region is "" or the destination already names a region.
func (d Destination) URL(hosts Hosts, region string) (string, error) {
	u := d.full
	if u == nil {
		var err error
		if u, err = url.Parse("https://" + hosts.Console + d.path); err != nil {
			return "", err // ParseDestination parsed it already
		}
	} else if consoleOf(u.Hostname()) != hosts.Console {
		return "", fmt.Errorf("%q is not on the console of this identity's partition (%s); use a URL on it, or a path such as /s3/home", u.String(), hosts.Console)
	}
	out := *u
	if region != "" && !out.Query().Has("region") {
		if out.RawQuery != "" {
			out.RawQuery += "&"
		}
		out.RawQuery += "region=" + url.QueryEscape(region)
	}
	return out.String(), nil
}

// Issuer is the Issuer of the login URL: the console names it on the page a session that has
// ended shows.
const Issuer = "rolehop"

// LoginURL is the URL that signs a browser in with token and takes it to destination.
func LoginURL(endpoint *url.URL, destination, token string) string {
	u := *endpoint
	u.RawQuery = url.Values{
		"Action":      {"login"},
		"Issuer":      {Issuer},
		"Destination": {destination},
		"SigninToken": {token},
	}.Encode()
	u.Fragment = ""
	return u.String()
}

// SessionDuration returns the console session length to ask for with the credentials p's
// chain ends in: the last role's duration, when that role is the only hop and was assumed
// with a web identity token, an MFA session of rolehop's, or keys known to be long-term (stored
// ones, a profile's, an auth provider's without a session token, or the environment's without
// AWS_SESSION_TOKEN when the AWS SDK's chain gives the base). Then the console session lasts
// as long as asked, even when the cache handed over credentials with less time left.
//
// It is 0, and the session ends with the credentials, for anything else: the federation
// endpoint refuses a SessionDuration for a role assumed with another role's credentials (role
// chaining, which a first hop entered from IAM Identity Center, a container's or the
// environment's session credentials may be), and for a GetFederationToken session.
func SessionDuration(p *plan.Plan, lookupEnv func(string) (string, bool)) time.Duration {
	if len(p.Hops) != 1 {
		return 0
	}
	h := p.Hops[0]
	switch {
	case h.WebIdentityToken != nil:
		return h.Duration
	case p.SSO != nil:
		return 0
	case p.MFA != nil && !p.MFA.OnAssume:
		return h.Duration
	case p.Credentials == nil && p.ProfileBase != nil:
		return longTerm(p.ProfileBase.LongTerm(), h)
	case p.StoredCredentials != "":
		return h.Duration
	case p.Credentials != nil:
		return longTerm(p.Credentials.SessionToken == "", h)
	case p.Profile == "":
		id, _ := lookupEnv("AWS_ACCESS_KEY_ID")
		secret, _ := lookupEnv("AWS_SECRET_ACCESS_KEY")
		token, _ := lookupEnv("AWS_SESSION_TOKEN")
		return longTerm(id != "" && secret != "" && token == "", h)
	}
	return 0
}

func longTerm(yes bool, h plan.Hop) time.Duration {
	if yes {
		return h.Duration
	}
	return 0
}

// MaxFederatedName is the longest name GetFederationToken takes for a federated user.
const MaxFederatedName = 32

// FederatedName returns the name of the federated user that long-term keys sign in to the
// console as: the session name setting, cut to 32 characters when it is rolehop's default
// (rolehop-USER), and an error when one given that long would have to be cut.
func FederatedName(p *plan.Plan) (string, error) {
	name := p.Defaults.SessionName
	if len(name) <= MaxFederatedName {
		return name, nil
	}
	if origin := p.Defaults.Origin[plan.FieldSessionName]; origin.Explicit() {
		return "", fmt.Errorf("%s: session name %q is longer than %d characters, the limit of GetFederationToken, which signs long-term keys in to the console as a federated user of that name; use a shorter one",
			origin, name, MaxFederatedName)
	}
	return name[:MaxFederatedName], nil
}

// isServiceName reports whether s is a console service name: lower-case letters, digits and
// "-", starting with a letter or digit.
func isServiceName(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}

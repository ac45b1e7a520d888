package cli

import (
	"github.com/rolehop/rolehop/internal/awsprofile"
	"github.com/rolehop/rolehop/internal/plan"
)

// commandRegion says which region STS is called in, which the command gets too, and where it
// comes from: the region setting, else the region of the profile the AWS SDK reads (the named
// one, else AWS_DEFAULT_PROFILE, else default), else the default region of the first role's
// partition. It reads the shared files and calls nothing.
func (a *app) commandRegion(p *plan.Plan) (region, source string) {
	if p.Region != "" {
		return p.Region, p.RegionOrigin.String()
	}
	profile := p.Profile
	if profile == "" {
		profile, _ = a.sys.LookupEnv("AWS_DEFAULT_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	if r, where := awsprofile.Region(profile, a.profileOptions()); r != "" {
		return r, where
	}
	partition := "aws"
	if len(p.Hops) > 0 {
		partition = p.Hops[0].Role.Partition
	}
	return p.STSRegion(), "the default region of partition " + partition
}

package chain

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/rolehop/rolehop/internal/awsfiles"
	"github.com/rolehop/rolehop/internal/awsprofile"
	"github.com/rolehop/rolehop/internal/plan"
)

// checkProfileRegion checks the region the AWS SDK read from the shared files for p's profile.
// The command gets it as it is, so it must be a region name like any other; the error names
// the file and section it is in.
func checkProfileRegion(ctx context.Context, p *plan.Plan, region string, lookup func(string) (string, bool)) error {
	err := plan.CheckRegion(region)
	if err == nil {
		return nil
	}
	profile, section := p.Profile, "profile "+p.Profile
	if profile == "" || profile == "default" {
		profile, section = "default", "default"
	}
	home, _ := lookup("HOME")
	files := awsprofile.Options{Files: awsfiles.Locate(lookup), Home: home}
	// A region in the credentials file wins over one in the config file: see whether the
	// config file alone gives this one.
	fromConfig, lookErr := config.LoadSharedConfigProfile(ctx, profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles, o.CredentialsFiles = []string{files.Files.Config}, []string{}
	})
	where := fmt.Sprintf("%s [%s]", files.Show(files.Files.Config), section)
	if lookErr != nil || fromConfig.Region != region {
		where = fmt.Sprintf("%s [%s]", files.Show(files.Files.Credentials), profile)
	}
	return fmt.Errorf("%s: region: %w; fix the region there or give --region", where, err)
}

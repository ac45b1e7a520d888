package chain

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/rolehop/rolehop/internal/plan"
)

// checkProfileRegion checks the region the AWS SDK read from the shared files for p's profile.
// The command gets it as it is, so it must be a region name like any other; the error names
// the file and section it is in.
func checkProfileRegion(ctx context.Context, p *plan.Plan, region string) error {
	err := plan.CheckRegion(region)
	if err == nil {
		return nil
	}
	profile, section := p.Profile, "profile "+p.Profile
	if profile == "" || profile == "default" {
		profile, section = "default", "default"
	}
	configFile, configShown := sharedFile("AWS_CONFIG_FILE", config.DefaultSharedConfigFilename(), "~/.aws/config")
	_, credsShown := sharedFile("AWS_SHARED_CREDENTIALS_FILE", config.DefaultSharedCredentialsFilename(), "~/.aws/credentials")
	// A region in the credentials file wins over one in the config file: see whether the
	// config file alone gives this one.
	fromConfig, lookErr := config.LoadSharedConfigProfile(ctx, profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles, o.CredentialsFiles = []string{configFile}, []string{}
	})
	where := fmt.Sprintf("%s [%s]", configShown, section)
	if lookErr != nil || fromConfig.Region != region {
		where = fmt.Sprintf("%s [%s]", credsShown, profile)
	}
	return fmt.Errorf("%s: region: %w; fix the region there or give --region", where, err)
}

// sharedFile returns the path of a shared AWS file, from the variable env when it is set, and
// how messages show it. It reads the process environment, as the SDK that read the file did.
func sharedFile(env, path, shown string) (string, string) {
	if v := os.Getenv(env); v != "" {
		return v, v
	}
	return path, shown
}

package sso

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/smithy-go"
)

// RoleCredentials returns a provider of the credentials of role in account, got from the
// portal with the session's token.
func (c *Client) RoleCredentials(account, role string) aws.CredentialsProvider {
	return roleProvider{c: c, account: account, role: role}
}

type roleProvider struct {
	c             *Client
	account, role string
}

// Retrieve calls GetRoleCredentials.
func (p roleProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	out, err := p.get(ctx, false)
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "UnauthorizedException" {
		// The portal may end a token before its time (a sign-out elsewhere): refresh once.
		out, err = p.get(ctx, true)
	}
	switch {
	case errors.Is(err, ErrNoLogin):
		return aws.Credentials{}, err
	case errors.As(err, &api) && api.ErrorCode() == "ForbiddenException":
		return aws.Credentials{}, fmt.Errorf("IAM Identity Center session %s has no access to role %s in account %s (see the roles it has: rolehop sso accounts %s)",
			p.c.Session.Name, p.role, p.account, p.c.Session.Name)
	case errors.As(err, &api) && api.ErrorCode() == "UnauthorizedException":
		return aws.Credentials{}, p.c.noLogin("IAM Identity Center refused the token: ")
	case err != nil:
		return aws.Credentials{}, fmt.Errorf("get credentials of role %s in account %s: %w", p.role, p.account, apiError(err))
	}
	rc := out.RoleCredentials
	return aws.Credentials{
		AccessKeyID:     aws.ToString(rc.AccessKeyId),
		SecretAccessKey: aws.ToString(rc.SecretAccessKey),
		SessionToken:    aws.ToString(rc.SessionToken),
		Source:          "IAM Identity Center",
		CanExpire:       true,
		Expires:         time.UnixMilli(rc.Expiration),
	}, nil
}

func (p roleProvider) get(ctx context.Context, refresh bool) (*sso.GetRoleCredentialsOutput, error) {
	tok, err := p.c.token(ctx, refresh)
	if err != nil {
		return nil, err
	}
	return p.c.portal().GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
		AccessToken: &tok, AccountId: &p.account, RoleName: &p.role,
	})
}

// Account is an account the login may use, with the roles it may use in it.
type Account struct {
	ID    string   `json:"account_id"`
	Name  string   `json:"account_name"`
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

// Accounts lists every account the login may use and its roles, following every page.
func (c *Client) Accounts(ctx context.Context) ([]Account, error) {
	tok, err := c.Token(ctx)
	if err != nil {
		return nil, err
	}
	portal := c.portal()
	var out []Account
	pages := sso.NewListAccountsPaginator(portal, &sso.ListAccountsInput{AccessToken: &tok})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list accounts of %s: %w", c.Session.Name, apiError(err))
		}
		for _, a := range page.AccountList {
			out = append(out, Account{ID: aws.ToString(a.AccountId), Name: aws.ToString(a.AccountName), Email: aws.ToString(a.EmailAddress)})
		}
	}
	for i := range out {
		roles := sso.NewListAccountRolesPaginator(portal, &sso.ListAccountRolesInput{AccessToken: &tok, AccountId: &out[i].ID})
		for roles.HasMorePages() {
			page, err := roles.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list roles in account %s: %w", out[i].ID, apiError(err))
			}
			for _, r := range page.RoleList {
				out[i].Roles = append(out[i].Roles, aws.ToString(r.RoleName))
			}
		}
	}
	return out, nil
}

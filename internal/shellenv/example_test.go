package shellenv_test

import (
	"fmt"
	"os"

	"github.com/rolehop/rolehop/internal/shellenv"
)

func ExampleWrite() {
	set := []shellenv.Var{
		{Name: "AWS_ACCESS_KEY_ID", Value: "AKIAIOSFODNN7EXAMPLE"},
		{Name: "NOTE", Value: "it's $(not) run"},
	}
	if err := shellenv.Write(os.Stdout, shellenv.SH, set, []string{"AWS_PROFILE"}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// unset AWS_PROFILE
	// export AWS_ACCESS_KEY_ID='AKIAIOSFODNN7EXAMPLE'
	// export NOTE='it'\''s $(not) run'
}

func ExampleWrite_powerShell() {
	set := []shellenv.Var{{Name: "NOTE", Value: "it’s"}}
	if err := shellenv.Write(os.Stdout, shellenv.PowerShell, set, nil); err != nil {
		fmt.Println(err)
	}
	// Output:
	// $Env:NOTE = 'it’’s'
}

func ExampleParseFormat() {
	_, err := shellenv.ParseFormat("xml")
	fmt.Println(err)
	// Output:
	// unknown format "xml"; use one of sh, fish, powershell, dotenv, json
}

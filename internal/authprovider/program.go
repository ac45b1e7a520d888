package authprovider

// Program returns the program an auth provider command line runs, as messages name it: only
// the first word, since the arguments may hold something the user would not want shown.
func Program(line string) string {
	argv, err := (Command{Line: line}).words()
	if err != nil {
		return "command"
	}
	return displayName(argv[0])
}

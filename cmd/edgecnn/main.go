// Command edgecnn trains, converts, evaluates, inspects and runs small image
// classifiers, from float training on a workstation to int8 inference on a
// Raspberry Pi. Run `edgecnn help` for the subcommands.
//
// Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C or
// SIGTERM, after saving what there was to save).
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// usageError marks an error in how the command was called (exit code 2).
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// interruptedError marks work stopped by Ctrl-C or SIGTERM (exit code 130,
// the shell's 128 + SIGINT).
type interruptedError struct{ error }

func main() {
	root := &cobra.Command{
		Use:           "edgecnn",
		Short:         "Train, quantize and run small CNN image classifiers on a Raspberry Pi",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       readBuildInfo().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(trainCmd(), convertCmd(), evalCmd(), benchCmd(), inspectCmd(), runCmd(), captureCmd(), importCmd(), predictCmd(), versionCmd())
	for _, c := range root.Commands() {
		c.Args = noArgs
	}
	root.SetArgs(withBareWeb(os.Args[1:]))
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "edgecnn:", err)
		var u usageError
		var intr interruptedError
		switch {
		case errors.As(err, &u) || isCobraUsage(err):
			os.Exit(2)
		case errors.As(err, &intr):
			os.Exit(130)
		}
		os.Exit(1)
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q (see %s --help)", cmd.Name(), args, cmd.CommandPath())
	}
	return nil
}

// isCobraUsage recognises cobra's own unknown-command error.
func isCobraUsage(err error) bool {
	msg := err.Error()
	return len(msg) > 16 && msg[:16] == "unknown command "
}

//go:build race

package integration_test

// raceEnabled builds the plugin with the race detector when the tests run with it.
const raceEnabled = true

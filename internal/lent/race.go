//go:build race

package lent

const raceEnabled = true

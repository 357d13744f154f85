// Package faults holds no library code, only the fault-matrix tests: every
// publishing mode against retriable, non-retriable and whole-cluster faults
// injected into an in-process kfake cluster, each checked by consuming the
// records back and counting outcomes, losses, duplicates and reorderings.
package faults

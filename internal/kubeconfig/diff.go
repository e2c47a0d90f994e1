package kubeconfig

import (
	"fmt"
	"strings"
)

// unifiedDiff returns a unified diff (3 lines of context) from a to b, or ""
// when they are equal. Kubeconfigs are small: an O(n·m) longest common
// subsequence is fast enough and keeps this dependency-free.
func unifiedDiff(a, b, nameA, nameB string) string {
	if a == b {
		return ""
	}
	ops := editScript(lines(a), lines(b))
	const context = 3
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start, end := hunk(ops, k, context)
		var aLen, bLen int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				aLen++
			}
			if o.kind != '-' {
				bLen++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(ops[start].ai, aLen), hunkRange(ops[start].bi, bLen))
		for _, o := range ops[start:end] {
			fmt.Fprintf(&out, "%c%s\n", o.kind, o.text)
		}
		k = end
	}
	return out.String()
}

// editOp is one line of an edit script.
type editOp struct {
	kind byte // ' ', '-', '+'
	text string
	ai   int // line number in a (0-based) of ' ' and '-'
	bi   int // line number in b of ' ' and '+'
}

// editScript turns x into y with the fewest deletions and insertions, through
// the longest common subsequence.
func editScript(x, y []string) []editOp {
	// lcs[i][j] is the length of the longest common subsequence of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []editOp
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, editOp{' ', x[i], i, j})
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, editOp{'-', x[i], i, j})
			i++
		default:
			ops = append(ops, editOp{'+', y[j], i, j})
			j++
		}
	}
	return ops
}

// hunk returns the ops of the hunk whose first change is at k: from context
// lines before it to context lines after the last change closer than
// 2×context to the previous one.
func hunk(ops []editOp, k, context int) (start, end int) {
	start, end = max(0, k-context), k
	for end < len(ops) {
		if ops[end].kind != ' ' {
			end++
			continue
		}
		run := end
		for run < len(ops) && ops[run].kind == ' ' {
			run++
		}
		if run == len(ops) || run-end > 2*context {
			return start, min(end+context, len(ops))
		}
		end = run
	}
	return start, end
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

package usecase

import (
	"cmp"
	"fmt"
	"io"
	"time"

	"github.com/kubelogin/kubelogin/internal/kubeconfig"
)

// kubeconfigPlan is the change setup makes to the kubeconfig files: the user,
// and the context when asked. It is prepared before the login, so that a
// mistake in the flags shows before any browser opens.
type kubeconfigPlan struct {
	edits   map[string]*kubeconfig.File
	order   []string
	user    string
	context string
	current string // the current context
	hidden  []HiddenFlag
}

func planKubeconfig(in SetupInput) (*kubeconfigPlan, error) {
	k := in.Kubeconfig
	user := cmp.Or(k.User, "oidc")
	context := k.Context
	if context == "" && k.Cluster != "" {
		context = user + "@" + k.Cluster
	}
	set, err := kubeconfig.LoadSet(k.Files)
	if err != nil {
		return nil, err
	}
	// The user goes where it is defined already (kubectl reads the first
	// definition), else into the first existing file.
	userPath := kubeconfig.DefaultFile(k.Files)
	if f, ok := set.UserFile(user); ok {
		userPath = f.Path
	}
	edits := map[string]*kubeconfig.File{}
	open := func(path string) (*kubeconfig.File, error) {
		if f, ok := edits[path]; ok {
			return f, nil
		}
		f, err := kubeconfig.Open(path)
		if err != nil {
			return nil, err
		}
		edits[path] = f
		return f, nil
	}
	f, err := open(userPath)
	if err != nil {
		return nil, err
	}
	f.SetExec(user, kubeconfig.Exec("kubectl", in.ExecArgs))
	order := []string{userPath}
	if context != "" {
		ctxPath, cluster := userPath, k.Cluster
		if c, ok := set.Context(context); ok {
			for _, cf := range set.Files {
				if _, ok := cf.Context(context); ok {
					ctxPath = cf.Path
					break
				}
			}
			cluster = cmp.Or(cluster, c.Cluster)
		} else if cluster == "" {
			return nil, fmt.Errorf("context %q is not in the kubeconfig: give --cluster to create it", context)
		}
		cf, err := open(ctxPath)
		if err != nil {
			return nil, err
		}
		cf.SetContext(context, cluster, user)
		if ctxPath != userPath {
			order = append(order, ctxPath)
		}
	}
	return &kubeconfigPlan{edits: edits, order: order, user: user, context: context, current: set.CurrentContext(), hidden: in.Hidden}, nil
}

// write shows the change of each file and writes it, keeping a backup.
// Running it twice changes nothing.
func (p *kubeconfigPlan) write(w io.Writer, now time.Time) error {
	user, context := p.user, p.context
	fmt.Fprintf(w, "\n## Write the kubeconfig\n\n")
	for _, path := range p.order {
		f := p.edits[path]
		changed, err := f.Changed()
		if err != nil {
			return err
		}
		if !changed {
			fmt.Fprintf(w, "%s already has user %s%s: nothing to write.\n", path, user, ofContext(context))
			continue
		}
		diff, err := f.Diff()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s", diff)
		backup, err := f.Write(now)
		if err != nil {
			return err
		}
		if backup != "" {
			fmt.Fprintf(w, "\nWrote %s (the previous file is %s).\n", path, backup)
		} else {
			fmt.Fprintf(w, "\nWrote %s.\n", path)
		}
	}
	for _, h := range p.hidden {
		if !h.Written {
			fmt.Fprintf(w, "%s was not written: kubectl must run with %s set.\n", h.Flag, h.EnvVar)
		}
	}
	if context != "" && context != p.current {
		fmt.Fprintf(w, "\nTo use it: kubectl config use-context %s\n", quote(context))
	}
	return nil
}

func ofContext(context string) string {
	if context == "" {
		return ""
	}
	return " and context " + context
}

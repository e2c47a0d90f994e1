package usecase

import (
	"cmp"
	"fmt"
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
	// clusterContexts are the contexts USER@CLUSTER of the cluster audiences.
	clusterContexts []string
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
	e := &fileEdits{files: map[string]*kubeconfig.File{}}
	f, err := e.open(userPath)
	if err != nil {
		return nil, err
	}
	ex := kubeconfig.Exec(cmp.Or(k.Command, "kubectl"), in.ExecArgs)
	ex.ProvideClusterInfo = len(k.ClusterAudiences) > 0
	f.SetExec(user, ex)
	var clusterContexts []string
	for _, ca := range k.ClusterAudiences {
		cf, ok := set.ClusterFile(ca.Cluster)
		if !ok {
			return nil, fmt.Errorf("cluster %q of --cluster-audience is not in the kubeconfig: add it first (kubectl config set-cluster %s --server=URL), then run setup again", ca.Cluster, ca.Cluster)
		}
		ef, err := e.open(cf.Path)
		if err != nil {
			return nil, err
		}
		ef.SetClusterAudience(ca.Cluster, ca.Audience)
		// Each cluster gets a context for the user, beside the file's
		// other contexts of it.
		name := user + "@" + ca.Cluster
		xf, err := e.open(contextFile(set, name, userPath))
		if err != nil {
			return nil, err
		}
		xf.SetContext(name, ca.Cluster, user)
		clusterContexts = append(clusterContexts, name)
	}
	if context != "" {
		cluster := k.Cluster
		if c, ok := set.Context(context); ok {
			cluster = cmp.Or(cluster, c.Cluster)
		} else if cluster == "" {
			return nil, fmt.Errorf("context %q is not in the kubeconfig: give --cluster to create it", context)
		}
		cf, err := e.open(contextFile(set, context, userPath))
		if err != nil {
			return nil, err
		}
		cf.SetContext(context, cluster, user)
	}
	return &kubeconfigPlan{edits: e.files, order: e.order, user: user, context: context, current: set.CurrentContext(), clusterContexts: clusterContexts}, nil
}

// fileEdits opens each kubeconfig file once, and remembers the order in
// which they were first opened (the order they are written and shown in).
type fileEdits struct {
	files map[string]*kubeconfig.File
	order []string
}

func (e *fileEdits) open(path string) (*kubeconfig.File, error) {
	if f, ok := e.files[path]; ok {
		return f, nil
	}
	f, err := kubeconfig.Open(path)
	if err != nil {
		return nil, err
	}
	e.files[path] = f
	e.order = append(e.order, path)
	return f, nil
}

// contextFile is the path of the first file that defines context name, else def.
func contextFile(set *kubeconfig.Set, name, def string) string {
	for _, f := range set.Files {
		if _, ok := f.Context(name); ok {
			return f.Path
		}
	}
	return def
}

// write writes each changed file, keeping a backup, and records the
// change (with its diff, secrets redacted) in c. Running it twice changes
// nothing.
func (p *kubeconfigPlan) write(c *KubeconfigChange, now time.Time) error {
	for _, path := range p.order {
		f := p.edits[path]
		fc := FileChange{Path: path}
		changed, err := f.Changed()
		if err != nil {
			return err
		}
		if changed {
			if fc.Diff, err = f.Diff(); err != nil {
				return err
			}
		}
		c.Files = append(c.Files, fc)
		if !changed {
			continue
		}
		backup, err := f.Write(now)
		if err != nil {
			return err
		}
		c.Files[len(c.Files)-1].Written, c.Files[len(c.Files)-1].Backup = true, backup
	}
	return nil
}

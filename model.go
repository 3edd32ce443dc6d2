package mnc

import (
	"container/list"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/runtime"
)

// ModelOptions configure a Model.
type ModelOptions struct {
	Compile  Options // how each plan is compiled (Shapes and Batch come from the inputs)
	Threads  int     // threads per run (0: every core)
	MaxPlans int     // plans kept, least recently used out (0: DefaultMaxPlans)
}

// DefaultMaxPlans is how many plans a Model keeps when ModelOptions.MaxPlans
// is 0.
const DefaultMaxPlans = 8

// Model is a loaded model that serves inputs of every shape its graph
// allows: Run compiles a plan for each new set of input shapes on first
// use (a text detector sees a new H×W per page) and keeps the most recently
// used ModelOptions.MaxPlans of them. It is safe for concurrent use: runs
// of one shape share its plan and each take an executor of their own;
// goroutines asking for the same new shape wait for one compilation.
type Model struct {
	g    *ir.Graph
	opts ModelOptions

	mu      sync.Mutex
	plans   map[string]*list.Element // shape key → element of lru holding *shapePlan
	lru     *list.List               // front: most recently used
	stats   CacheStats
	closed  bool
	compile func(shapes map[string][]int) (*plan.Plan, error) // Compile, replaceable in tests
}

// CacheStats counts what a Model's plan cache did.
type CacheStats struct {
	Hits, Misses, Evictions int
	Plans                   int           // plans held now
	CompileTime             time.Duration // spent compiling, all shapes together
}

// shapePlan is one cached plan with its idle executors.
type shapePlan struct {
	key     string
	ready   chan struct{} // closed when p or err is set
	p       *plan.Plan
	err     error
	compile time.Duration

	mu      sync.Mutex
	idle    []*runtime.Executor
	evicted bool
}

// Open loads spec (see Load) as a Model.
func Open(spec string, o ModelOptions) (*Model, error) {
	g, err := Load(spec)
	if err != nil {
		return nil, err
	}
	return NewModel(g, o)
}

// NewModel makes a Model of g (which may have symbolic dimensions,
// including an unbound ONNX graph: each Run gives them).
func NewModel(g *ir.Graph, o ModelOptions) (*Model, error) {
	if len(g.Inputs) == 0 {
		return nil, fmt.Errorf("graph %q has no inputs", g.Name)
	}
	if o.Threads < 0 || o.MaxPlans < 0 {
		return nil, fmt.Errorf("ModelOptions: Threads %d and MaxPlans %d must not be negative", o.Threads, o.MaxPlans)
	}
	if o.MaxPlans == 0 {
		o.MaxPlans = DefaultMaxPlans
	}
	o.Compile.Shapes, o.Compile.Batch = nil, 0
	if o.Compile.Weights == nil {
		o.Compile.Weights = passes.NewWeightCache()
	}
	m := &Model{g: g, opts: o, plans: map[string]*list.Element{}, lru: list.New()}
	m.compile = func(shapes map[string][]int) (*plan.Plan, error) {
		c := m.opts.Compile
		c.Shapes = shapes
		p, _, err := Compile(m.g, c)
		return p, err
	}
	return m, nil
}

// Inputs are the model's inputs as loaded: -1 marks a dimension each Run
// gives.
func (m *Model) Inputs() []*ir.Value { return m.g.Inputs }

// Run computes every output, by name, from the inputs, by name. Each new
// set of input shapes is compiled first (see Plan).
func (m *Model) Run(inputs map[string]*ir.Tensor) (map[string]*ir.Tensor, error) {
	shapes := map[string][]int{}
	for _, v := range m.g.Inputs {
		t, ok := inputs[v.Name]
		if !ok || t == nil {
			return nil, fmt.Errorf("input %q is missing", v.Name)
		}
		if t.Shape.Size() != len(t.Data) {
			return nil, fmt.Errorf("input %q: shape %v holds %d values, the tensor has %d", v.Name, t.Shape, t.Shape.Size(), len(t.Data))
		}
		shapes[v.Name] = t.Shape
	}
	if len(inputs) != len(shapes) {
		for name := range inputs {
			if _, ok := shapes[name]; !ok {
				return nil, fmt.Errorf("the model has no input %q", name)
			}
		}
	}
	sp, err := m.get(shapes)
	if err != nil {
		return nil, err
	}
	e, err := sp.take(m.opts.Threads)
	if err != nil {
		return nil, err
	}
	out, err := e.RunNamed(inputs)
	sp.give(e)
	return out, err
}

// Plan returns the plan for the given input shapes (by input name; every
// input), compiling it on first use, and how long that compile took.
func (m *Model) Plan(shapes map[string][]int) (*plan.Plan, time.Duration, error) {
	sp, err := m.get(shapes)
	if err != nil {
		return nil, 0, err
	}
	return sp.p, sp.compile, nil
}

// Stats reports the plan cache's hits, misses, evictions and compile time.
func (m *Model) Stats() CacheStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stats
	s.Plans = m.lru.Len()
	return s
}

// Close drops every plan and stops the idle executors' threads; runs in
// progress finish, and Run fails afterwards.
func (m *Model) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	for m.lru.Len() > 0 {
		m.evict(m.lru.Back())
	}
}

// get returns the ready plan for shapes, compiling it when it is new; a
// failed compile is not cached (the error is returned to every waiter).
func (m *Model) get(shapes map[string][]int) (*shapePlan, error) {
	key := shapeKey(shapes)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, fmt.Errorf("model is closed")
	}
	if el, ok := m.plans[key]; ok {
		m.lru.MoveToFront(el)
		sp := el.Value.(*shapePlan)
		m.stats.Hits++
		m.mu.Unlock()
		<-sp.ready
		if sp.err != nil {
			return nil, sp.err
		}
		return sp, nil
	}
	m.stats.Misses++
	sp := &shapePlan{key: key, ready: make(chan struct{})}
	m.plans[key] = m.lru.PushFront(sp)
	for m.lru.Len() > m.opts.MaxPlans {
		m.evict(m.lru.Back())
	}
	m.mu.Unlock()

	t0 := time.Now()
	sp.p, sp.err = m.compile(shapes)
	sp.compile = time.Since(t0)
	close(sp.ready)

	m.mu.Lock()
	m.stats.CompileTime += sp.compile
	if sp.err != nil {
		if el, ok := m.plans[key]; ok && el.Value == sp {
			m.lru.Remove(el)
			delete(m.plans, key)
		}
	}
	m.mu.Unlock()
	if sp.err != nil {
		return nil, sp.err
	}
	return sp, nil
}

// evict drops el's plan (m.mu held); its executors stop when idle.
func (m *Model) evict(el *list.Element) {
	sp := el.Value.(*shapePlan)
	m.lru.Remove(el)
	delete(m.plans, sp.key)
	m.stats.Evictions++
	sp.mu.Lock()
	sp.evicted = true
	idle := sp.idle
	sp.idle = nil
	sp.mu.Unlock()
	for _, e := range idle {
		e.Close()
	}
}

// take returns an idle executor of the plan or a new one.
func (sp *shapePlan) take(threads int) (*runtime.Executor, error) {
	sp.mu.Lock()
	if n := len(sp.idle); n > 0 {
		e := sp.idle[n-1]
		sp.idle = sp.idle[:n-1]
		sp.mu.Unlock()
		return e, nil
	}
	sp.mu.Unlock()
	return NewExecutor(sp.p, threads)
}

// give returns e after a run: kept for the next run unless the plan was
// evicted meanwhile.
func (sp *shapePlan) give(e *runtime.Executor) {
	sp.mu.Lock()
	if !sp.evicted {
		sp.idle = append(sp.idle, e)
		sp.mu.Unlock()
		return
	}
	sp.mu.Unlock()
	e.Close()
}

// shapeKey is a canonical string of a set of input shapes.
func shapeKey(shapes map[string][]int) string {
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(strconv.Quote(n))
		for _, d := range shapes[n] {
			b.WriteByte(' ')
			b.WriteString(strconv.Itoa(d))
		}
		b.WriteByte(';')
	}
	return b.String()
}
